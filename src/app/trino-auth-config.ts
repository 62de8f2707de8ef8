import { isLoopbackHost } from '../domain/loopback.ts';
import type { TrinoTlsSettings } from '../adapters/trino/tls-options.ts';
import { tokenProblem } from '../adapters/trino/credentials/static-credentials.ts';
import type { Env } from './env-schema.ts';

/** How this server authenticates to Trino (TRINO_AUTH and the variables of its mode). */
export type TrinoAuthConfig =
  | { readonly mode: 'none' }
  | { readonly mode: 'basic'; readonly password: string }
  | { readonly mode: 'jwt'; readonly token?: string | undefined; readonly tokenFile?: string | undefined }
  | { readonly mode: 'client_credentials' | 'token_exchange'; readonly oauth: TrinoOAuthClientConfig };

export interface TrinoOAuthClientConfig {
  readonly tokenUrl?: string | undefined;
  readonly issuer?: string | undefined;
  readonly clientId: string;
  readonly clientSecret?: string | undefined;
  readonly clientSecretFile?: string | undefined;
  readonly scope?: string | undefined;
  readonly audience?: string | undefined;
}

/** The facts about the rest of the configuration that the Trino auth checks depend on. */
export interface TrinoAuthContext {
  readonly scheme: 'http' | 'https';
  /** HTTP transport with OAuth: every caller has a verified token. */
  readonly httpOAuth: boolean;
  readonly impersonating: boolean;
}

const OAUTH_ONLY = ['TRINO_OAUTH_TOKEN_URL', 'TRINO_OAUTH_ISSUER', 'TRINO_OAUTH_CLIENT_ID', 'TRINO_OAUTH_CLIENT_SECRET', 'TRINO_OAUTH_CLIENT_SECRET_FILE', 'TRINO_OAUTH_SCOPE', 'TRINO_OAUTH_AUDIENCE'] as const;

/** Checks TRINO_AUTH against its variables; each error line starts with the variable at fault. */
export function trinoAuthConfig(e: Env, ctx: TrinoAuthContext): { auth?: TrinoAuthConfig; tls: TrinoTlsSettings; errors: string[] } {
  const errors: string[] = [];
  // The default stays what it was before TRINO_AUTH existed: basic with a password, else none.
  const mode = e.TRINO_AUTH ?? (e.TRINO_PASSWORD !== undefined ? 'basic' : 'none');
  const unused = (names: readonly (keyof Env)[], why: string) => {
    for (const n of names) if (e[n] !== undefined && e[n] !== '') errors.push(`${n}: not used with TRINO_AUTH=${mode}; ${why}`);
  };
  let auth: TrinoAuthConfig | undefined;
  if (mode !== 'basic') unused(['TRINO_PASSWORD'], 'remove it, or set TRINO_AUTH=basic');
  if (mode !== 'jwt') unused(['TRINO_ACCESS_TOKEN', 'TRINO_ACCESS_TOKEN_FILE'], 'remove it, or set TRINO_AUTH=jwt');
  if (mode !== 'client_credentials' && mode !== 'token_exchange') unused(OAUTH_ONLY, 'remove it, or set TRINO_AUTH=client_credentials or token_exchange');

  if (mode === 'none') auth = { mode };
  else if (mode === 'basic') {
    if (e.TRINO_PASSWORD === undefined) errors.push('TRINO_PASSWORD: required with TRINO_AUTH=basic');
    else auth = { mode, password: e.TRINO_PASSWORD };
    if (e.TRINO_USER.includes(':')) {
      errors.push('TRINO_USER: must not contain ":" with TRINO_AUTH=basic (HTTP Basic authentication splits the user at the first colon)');
    }
    // Basic authentication is the password itself, base64-encoded, on every request.
    if (ctx.scheme === 'http' && !e.TRINO_ALLOW_INSECURE_AUTH) {
      errors.push('TRINO_SCHEME: TRINO_AUTH=basic over plain HTTP would send TRINO_PASSWORD in clear text; use https, or set TRINO_ALLOW_INSECURE_AUTH=true');
    }
  } else if (mode === 'jwt') {
    if (e.TRINO_ACCESS_TOKEN && e.TRINO_ACCESS_TOKEN_FILE) errors.push('TRINO_ACCESS_TOKEN_FILE: set either TRINO_ACCESS_TOKEN or TRINO_ACCESS_TOKEN_FILE, not both');
    else if (!e.TRINO_ACCESS_TOKEN && !e.TRINO_ACCESS_TOKEN_FILE) errors.push('TRINO_ACCESS_TOKEN: required with TRINO_AUTH=jwt (or TRINO_ACCESS_TOKEN_FILE)');
    const problem = e.TRINO_ACCESS_TOKEN ? tokenProblem(e.TRINO_ACCESS_TOKEN) : undefined;
    if (problem) errors.push(`TRINO_ACCESS_TOKEN: ${problem}`);
    auth = { mode, token: e.TRINO_ACCESS_TOKEN || undefined, tokenFile: e.TRINO_ACCESS_TOKEN_FILE };
  } else {
    if (!e.TRINO_OAUTH_TOKEN_URL && !e.TRINO_OAUTH_ISSUER) errors.push(`TRINO_OAUTH_TOKEN_URL: required with TRINO_AUTH=${mode} (or TRINO_OAUTH_ISSUER for discovery)`);
    if (!e.TRINO_OAUTH_CLIENT_ID) errors.push(`TRINO_OAUTH_CLIENT_ID: required with TRINO_AUTH=${mode}`);
    if (e.TRINO_OAUTH_CLIENT_SECRET && e.TRINO_OAUTH_CLIENT_SECRET_FILE) {
      errors.push('TRINO_OAUTH_CLIENT_SECRET_FILE: set either TRINO_OAUTH_CLIENT_SECRET or TRINO_OAUTH_CLIENT_SECRET_FILE, not both');
    } else if (!e.TRINO_OAUTH_CLIENT_SECRET && !e.TRINO_OAUTH_CLIENT_SECRET_FILE) {
      errors.push(`TRINO_OAUTH_CLIENT_SECRET: required with TRINO_AUTH=${mode} (or TRINO_OAUTH_CLIENT_SECRET_FILE)`);
    }
    for (const name of ['TRINO_OAUTH_TOKEN_URL', 'TRINO_OAUTH_ISSUER'] as const) {
      const v = e[name];
      if (v && new URL(v).protocol === 'http:' && !isLoopbackUrl(v)) errors.push(`${name}: must be https (plain http only on a loopback address): the client secret and tokens travel to it`);
    }
    if (mode === 'token_exchange') {
      if (!ctx.httpOAuth) errors.push('TRINO_AUTH: token_exchange needs MCP_TRANSPORT=http with OAuth (OAUTH_ENABLED=true): it exchanges each caller\'s token');
      if (!e.TRINO_OAUTH_AUDIENCE) errors.push('TRINO_OAUTH_AUDIENCE: required with TRINO_AUTH=token_exchange (the audience Trino requires of a token)');
      if (ctx.impersonating) errors.push('TRINO_IMPERSONATE: not used with TRINO_AUTH=token_exchange: Trino authenticates each caller itself');
    }
    if (e.TRINO_OAUTH_CLIENT_ID) {
      auth = {
        mode,
        oauth: {
          tokenUrl: e.TRINO_OAUTH_TOKEN_URL,
          issuer: e.TRINO_OAUTH_ISSUER?.replace(/\/$/, ''),
          clientId: e.TRINO_OAUTH_CLIENT_ID,
          clientSecret: e.TRINO_OAUTH_CLIENT_SECRET || undefined,
          clientSecretFile: e.TRINO_OAUTH_CLIENT_SECRET_FILE,
          scope: e.TRINO_OAUTH_SCOPE,
          audience: e.TRINO_OAUTH_AUDIENCE,
        },
      };
    }
  }
  if (mode !== 'none' && mode !== 'basic' && ctx.scheme === 'http' && !e.TRINO_ALLOW_INSECURE_AUTH) {
    errors.push(`TRINO_SCHEME: TRINO_AUTH=${mode} over plain HTTP would send bearer tokens in clear text; use https, or set TRINO_ALLOW_INSECURE_AUTH=true`);
  }

  if (Boolean(e.TRINO_SSL_CERT_FILE) !== Boolean(e.TRINO_SSL_KEY_FILE)) {
    errors.push(`${e.TRINO_SSL_CERT_FILE ? 'TRINO_SSL_KEY_FILE' : 'TRINO_SSL_CERT_FILE'}: a client certificate needs both TRINO_SSL_CERT_FILE and TRINO_SSL_KEY_FILE`);
  }
  if (e.TRINO_SSL_KEY_PASSPHRASE !== undefined && !e.TRINO_SSL_KEY_FILE) errors.push('TRINO_SSL_KEY_PASSPHRASE: set only with TRINO_SSL_KEY_FILE');
  const tls: TrinoTlsSettings = {
    caPem: e.TRINO_SSL_CA,
    caFile: e.TRINO_SSL_CA_FILE,
    certFile: e.TRINO_SSL_CERT_FILE,
    keyFile: e.TRINO_SSL_KEY_FILE,
    keyPassphrase: e.TRINO_SSL_KEY_PASSPHRASE,
    servername: e.TRINO_SSL_SERVERNAME,
    verify: !e.TRINO_SSL_INSECURE,
  };
  if (ctx.scheme === 'http') {
    for (const n of ['TRINO_SSL_CA', 'TRINO_SSL_CA_FILE', 'TRINO_SSL_CERT_FILE', 'TRINO_SSL_KEY_FILE', 'TRINO_SSL_SERVERNAME'] as const) {
      if (e[n]) errors.push(`${n}: Trino is reached over plain HTTP (TRINO_SCHEME=http), where TLS settings do nothing`);
    }
  }
  return { ...(auth && errors.length === 0 ? { auth } : {}), tls, errors };
}

function isLoopbackUrl(v: string): boolean {
  const h = new URL(v).hostname.replace(/^\[(.*)\]$/, '$1');
  return isLoopbackHost(h);
}
