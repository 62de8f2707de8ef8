import { readFileSync } from 'node:fs';
import { discoverProvider } from '../adapters/auth/oidc-discovery.ts';
import { PinoLogger } from '../adapters/log/pino-logger.ts';
import { isDomainError } from '../domain/errors.ts';
import { QueryEngine } from '../ports/query-engine.ts';
import { loadConfig, type Config, type OAuthConfig } from './config.ts';
import { buildContainer } from './container.ts';

/** One line of `trino-mcp check`: what was checked, what came of it, what to do when it failed. */
export interface CheckResult {
  readonly ok: boolean;
  readonly name: string;
  readonly detail: string;
  readonly fix?: string | undefined;
}

const TIMEOUT_MS = 10_000;

/** `OK   trino: …` or `FAIL trino: … → do this`. */
export function formatCheck(r: CheckResult): string {
  return `${r.ok ? 'OK  ' : 'FAIL'} ${r.name}: ${r.detail}${!r.ok && r.fix ? ` → ${r.fix}` : ''}`;
}

/** Runs `SELECT version()` through the server's own QueryEngine, as TRINO_USER with its credentials. */
async function checkTrino(config: Config): Promise<CheckResult> {
  const name = 'trino';
  const engine = buildContainer(config, new PinoLogger({ level: 'silent' })).get<QueryEngine>(QueryEngine);
  const user = config.trino.user;
  const principal = { subject: user, username: user, email: user, scopes: [], via: 'check' };
  try {
    let version: unknown;
    for await (const event of engine.run({ sql: 'SELECT version()', principal }, AbortSignal.timeout(TIMEOUT_MS))) {
      if (event.kind === 'rows' && event.rows[0]) version = event.rows[0][0];
    }
    return { ok: true, name, detail: `${config.trino.server} answered as ${user} (Trino ${String(version)})` };
  } catch (err) {
    const message = isDomainError(err) ? err.message : (err as Error).message;
    const code = isDomainError(err) ? err.code : 'INTERNAL';
    const fix =
      code === 'CANCELLED' || code === 'TIMEOUT'
        ? `no answer within ${TIMEOUT_MS / 1000} s: check TRINO_HOST, TRINO_PORT and that Trino is up`
        : code === 'QUERY_INVALID' || code === 'POLICY_DENIED'
          ? `Trino refused SELECT version() for ${user}: grant TRINO_USER access in Trino`
          : `check TRINO_HOST, TRINO_PORT, TRINO_SCHEME (or TRINO_SSL) point at the coordinator, and TRINO_USER / TRINO_PASSWORD`;
    return { ok: false, name, detail: `${config.trino.server}: ${message}`, fix };
  }
}

async function fetchJson(url: string): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS), headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return res.json();
}

/** The identity provider: discovery (unless OIDC_JWKS_URL names the keys) and a key set with keys. */
async function checkOAuth(oauth: OAuthConfig): Promise<CheckResult[]> {
  if (oauth.provider === 'hmac') {
    return [{ ok: true, name: 'oauth', detail: `HMAC tokens signed with JWT_SECRET${oauth.issuer ? `, issuer ${oauth.issuer}` : ''}, audience ${oauth.audiences[0]}` }];
  }
  const out: CheckResult[] = [];
  let jwksUrl = oauth.jwksUrl;
  if (!jwksUrl) {
    try {
      const metadata = await discoverProvider(oauth.issuer!, TIMEOUT_MS);
      jwksUrl = metadata.jwks_uri;
      out.push({ ok: true, name: 'oidc discovery', detail: `${oauth.issuer} published its metadata` });
      if (!jwksUrl) {
        out.push({ ok: false, name: 'jwks', detail: `the metadata of ${oauth.issuer} has no jwks_uri`, fix: 'set OIDC_JWKS_URL to the provider key set' });
        return out;
      }
    } catch (err) {
      out.push({
        ok: false,
        name: 'oidc discovery',
        detail: `${oauth.issuer}: ${(err as Error).message}`,
        fix: 'check OIDC_ISSUER (the issuer exactly as in the tokens, no /.well-known suffix) and that this host reaches it',
      });
      return out;
    }
  }
  const shown = new URL(jwksUrl);
  const where = `${shown.origin}${shown.pathname}`; // the query may carry an API key
  try {
    const keys = (await fetchJson(jwksUrl)) as { keys?: unknown };
    const count = Array.isArray(keys.keys) ? keys.keys.length : 0;
    if (count === 0) out.push({ ok: false, name: 'jwks', detail: `${where} holds no keys`, fix: 'check OIDC_JWKS_URL / the provider: tokens cannot be verified' });
    else out.push({ ok: true, name: 'jwks', detail: `${where} holds ${count} key${count === 1 ? '' : 's'}` });
  } catch (err) {
    out.push({ ok: false, name: 'jwks', detail: `${where}: ${(err as Error).message}`, fix: 'check OIDC_JWKS_URL (or the jwks_uri of the provider) and that this host reaches it' });
  }
  return out;
}

/** The PEM files of MCP_HTTPS are readable. */
function checkTls(config: Config): CheckResult[] {
  const tls = config.http.tls;
  if (config.transport !== 'http' || !tls) return [];
  return (
    [
      ['HTTPS_CERT_FILE', tls.certFile],
      ['HTTPS_KEY_FILE', tls.keyFile],
    ] as const
  ).map(([variable, path]) => {
    try {
      readFileSync(path);
      return { ok: true, name: variable, detail: `${path} is readable` };
    } catch (err) {
      return { ok: false, name: variable, detail: `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, fix: `set ${variable} to a readable PEM file` };
    }
  });
}

/**
 * Every check of `trino-mcp check`, in order: the configuration (the start-up rules), then —
 * when it is valid — Trino, the identity provider and the TLS files.
 */
export async function runChecks(env: Record<string, string | undefined>): Promise<CheckResult[]> {
  const loaded = loadConfig(env);
  if (!loaded.ok) {
    return loaded.errors.map((line) => {
      const variable = /^[A-Z][A-Z0-9_]+/.exec(line)?.[0] ?? 'the configuration';
      return { ok: false, name: 'configuration', detail: line, fix: `fix ${variable}` };
    });
  }
  const config = loaded.config;
  const results: CheckResult[] = [
    { ok: true, name: 'configuration', detail: `valid (${config.transport}${config.oauth ? `, OAuth ${config.oauth.providerName}` : ''})` },
  ];
  results.push(await checkTrino(config));
  if (config.oauth) results.push(...(await checkOAuth(config.oauth)));
  results.push(...checkTls(config));
  return results;
}
