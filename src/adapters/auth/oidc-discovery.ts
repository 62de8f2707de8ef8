/** The identity provider's metadata (OIDC discovery or RFC 8414), as published. */
export type ProviderMetadata = Record<string, unknown> & { issuer: string; jwks_uri?: string };

/** Why discovery failed: the provider answered for another issuer, or no well-known URL answered. */
export class DiscoveryError extends Error {
  override readonly name = 'DiscoveryError';
  constructor(
    readonly code: 'issuer_mismatch' | 'no_metadata',
    message: string,
  ) {
    super(message);
  }
}

async function fetchJson(url: string, timeoutMs: number): Promise<ProviderMetadata | undefined> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  if (!res.ok) return undefined;
  return (await res.json()) as ProviderMetadata;
}

/**
 * Fetches the provider's metadata: OIDC discovery first, then RFC 8414 (both with the
 * path-appended and the path-inserted form for issuers with a path). Throws a
 * DiscoveryError when none answers or a document names another issuer.
 */
export async function discoverProvider(issuer: string, timeoutMs = 10_000): Promise<ProviderMetadata> {
  const base = new URL(issuer);
  const path = base.pathname.replace(/\/$/, '');
  const candidates = [
    `${base.origin}${path}/.well-known/openid-configuration`,
    `${base.origin}/.well-known/oauth-authorization-server${path}`,
    `${base.origin}/.well-known/openid-configuration${path}`,
  ];
  const failures: string[] = [];
  for (const url of candidates) {
    let doc: ProviderMetadata | undefined;
    try {
      doc = await fetchJson(url, timeoutMs);
    } catch (err) {
      failures.push(`${url}: ${(err as Error).message}`);
      continue;
    }
    if (!doc) {
      failures.push(`${url}: not found`);
      continue;
    }
    if (String(doc.issuer).replace(/\/$/, '') !== issuer.replace(/\/$/, '')) {
      throw new DiscoveryError('issuer_mismatch', `${url} names issuer ${String(doc.issuer)}, expected ${issuer}`);
    }
    return doc;
  }
  throw new DiscoveryError('no_metadata', `no provider metadata for ${issuer} (${failures.join('; ')})`);
}
