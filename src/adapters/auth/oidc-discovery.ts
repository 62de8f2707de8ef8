/** The identity provider's metadata (OIDC discovery or RFC 8414), as published. */
export type ProviderMetadata = Record<string, unknown> & { issuer: string; jwks_uri?: string };

async function fetchJson(url: string, timeoutMs: number): Promise<ProviderMetadata | undefined> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  if (!res.ok) return undefined;
  return (await res.json()) as ProviderMetadata;
}

/**
 * Fetches the provider's metadata: OIDC discovery first, then RFC 8414 (both with the
 * path-appended and the path-inserted form for issuers with a path). Throws when none
 * answers or the document names another issuer.
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
    try {
      const doc = await fetchJson(url, timeoutMs);
      if (!doc) {
        failures.push(`${url}: not found`);
        continue;
      }
      if (String(doc.issuer).replace(/\/$/, '') !== issuer.replace(/\/$/, '')) {
        throw new Error(`${url} names issuer ${String(doc.issuer)}, expected ${issuer}`);
      }
      return doc;
    } catch (err) {
      if (err instanceof Error && err.message.includes('names issuer')) throw err;
      failures.push(`${url}: ${(err as Error).message}`);
    }
  }
  throw new Error(`no provider metadata for ${issuer} (${failures.join('; ')})`);
}
