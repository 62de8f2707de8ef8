import { z } from 'zod';
import { validatePatterns, type AllowlistSpec } from '../domain/allowlist.ts';
import type { NameDefaults } from '../domain/model.ts';

/** The effective configuration, typed. Built only by loadConfig. */
export interface Config {
  readonly trino: {
    readonly host: string;
    readonly port: number;
    readonly scheme: 'http' | 'https';
    readonly user: string;
    readonly password?: string | undefined;
    readonly verifyCertificates: boolean;
    readonly server: string;
  };
  readonly defaults: NameDefaults;
  readonly allowWriteQueries: boolean;
  /** TRINO_ALLOW_PASSTHROUGH_FUNCTIONS: reads may call table functions that send SQL to a connector. */
  readonly allowPassthrough: boolean;
  /** TRINO_ALLOWED_CATALOGS / _SCHEMAS / _TABLES (empty lists: no restriction). */
  readonly allowlist: AllowlistSpec;
  readonly queryTimeoutMs: number;
  readonly maxRows: number;
  readonly transport: 'stdio' | 'http';
  readonly http: HttpConfig;
  /** Set when OAuth is on (TRINO_OAUTH_ENABLED / OAUTH_ENABLED). */
  readonly oauth?: OAuthConfig | undefined;
  /** TRINO_IMPERSONATE: run queries as this claim of the caller's token instead of TRINO_USER. */
  readonly impersonation?: ImpersonationClaim | undefined;
}

export type ImpersonationClaim = 'preferred_username' | 'email' | 'sub';

export interface HttpConfig {
  readonly host: string;
  readonly port: number;
  /** Canonical URL of the MCP endpoint (MCP_URL), the resource of RFC 8707/9728. */
  readonly resourceUrl: string;
  readonly loopback: boolean;
  readonly allowUnauthenticated: boolean;
  /** Origins (scheme://host[:port]) allowed for browsers, besides loopback ones when bound to loopback. */
  readonly allowedOrigins: readonly string[];
  readonly tls?: { readonly certFile: string; readonly keyFile: string } | undefined;
  readonly trustProxy: boolean;
  readonly maxBodyBytes: number;
  readonly shutdownGraceMs: number;
}

export interface OAuthConfig {
  readonly provider: 'hmac' | 'oidc';
  /** The preset the operator named in OAUTH_PROVIDER (okta, google, azure … are OIDC). */
  readonly providerName: string;
  readonly issuer?: string | undefined;
  readonly jwksUrl?: string | undefined;
  /**
   * Audiences a token may carry (any one): OIDC_AUDIENCE, else the resource URL of /mcp and
   * of its /sse sibling (RFC 8707: a token is issued for the endpoint the client addressed).
   */
  readonly audiences: readonly string[];
  readonly secret?: string | undefined;
  readonly clockToleranceSec: number;
  readonly requiredScopes: readonly string[];
  /** OAUTH_WRITE_SCOPE: needed, on top of the required scopes, for execute_statement. */
  readonly writeScope?: string | undefined;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; errors: string[] };

const bool = (name: string) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .refine((v) => ['true', 'false', '1', '0', 'yes', 'no'].includes(v), {
      message: `${name} must be true or false`,
    })
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

const positiveInt = (name: string, max: number) =>
  z
    .string()
    .trim()
    .refine((v) => /^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= max, {
      message: `${name} must be a whole number from 1 to ${max}`,
    })
    .transform(Number);

const nonEmpty = (name: string) => z.string().trim().min(1, { message: `${name} must not be empty` });

const wholeNumber = (name: string, max: number) =>
  z
    .string()
    .trim()
    .refine((v) => /^\d+$/.test(v) && Number(v) <= max, { message: `${name} must be a whole number from 0 to ${max}` })
    .transform(Number);

const oneOf = <T extends readonly [string, ...string[]]>(name: string, values: T) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .refine((v) => (values as readonly string[]).includes(v), { message: `${name} must be one of ${values.join(', ')}` })
    .transform((v) => v as T[number]);

const url = (name: string) =>
  z
    .string()
    .trim()
    .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), {
      message: `${name} must be an http(s) URL`,
    });

/** `::1`, `fe80::1`, `[::1]`: a colon in a host is only valid in an IPv6 address. */
function isIpv6(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return /^[0-9a-f:.]+$/i.test(bare) && (bare.match(/:/g)?.length ?? 0) >= 2;
}

const schema = z.object({
  TRINO_HOST: nonEmpty('TRINO_HOST')
    .refine((v) => !/[\s/]/.test(v) && (!v.includes(':') || isIpv6(v)), {
      message: 'TRINO_HOST must be a host name or address without scheme, port or path (the port goes in TRINO_PORT)',
    })
    .default('localhost'),
  TRINO_PORT: positiveInt('TRINO_PORT', 65535).default(8080),
  TRINO_USER: nonEmpty('TRINO_USER').default('trino'),
  TRINO_PASSWORD: z.string().optional(),
  TRINO_CATALOG: nonEmpty('TRINO_CATALOG').default('memory'),
  TRINO_SCHEMA: nonEmpty('TRINO_SCHEMA').default('default'),
  TRINO_SCHEME: z
    .string()
    .trim()
    .toLowerCase()
    .refine((v) => v === 'http' || v === 'https', { message: 'TRINO_SCHEME must be http or https' })
    .transform((v) => v as 'http' | 'https')
    .optional(),
  TRINO_SSL: bool('TRINO_SSL').default(true),
  TRINO_SSL_INSECURE: bool('TRINO_SSL_INSECURE').default(false),
  TRINO_ALLOW_WRITE_QUERIES: bool('TRINO_ALLOW_WRITE_QUERIES').default(false),
  TRINO_ALLOW_PASSTHROUGH_FUNCTIONS: bool('TRINO_ALLOW_PASSTHROUGH_FUNCTIONS').default(false),
  TRINO_ALLOWED_CATALOGS: z.string().optional(),
  TRINO_ALLOWED_SCHEMAS: z.string().optional(),
  TRINO_ALLOWED_TABLES: z.string().optional(),
  TRINO_QUERY_TIMEOUT: positiveInt('TRINO_QUERY_TIMEOUT', 86_400).default(300),
  TRINO_MAX_ROWS: positiveInt('TRINO_MAX_ROWS', 1_000_000).default(1000),
  MCP_TRANSPORT: oneOf('MCP_TRANSPORT', ['stdio', 'http'] as const).default('stdio'),
  MCP_HOST: nonEmpty('MCP_HOST').default('127.0.0.1'),
  MCP_PORT: positiveInt('MCP_PORT', 65535).default(8080),
  MCP_URL: url('MCP_URL').optional(),
  MCP_ALLOW_UNAUTHENTICATED: bool('MCP_ALLOW_UNAUTHENTICATED').default(false),
  MCP_ALLOWED_ORIGINS: z.string().optional(),
  MCP_HTTPS: bool('MCP_HTTPS').default(false),
  HTTPS_CERT_FILE: nonEmpty('HTTPS_CERT_FILE').optional(),
  HTTPS_KEY_FILE: nonEmpty('HTTPS_KEY_FILE').optional(),
  MCP_TRUST_PROXY: bool('MCP_TRUST_PROXY').default(false),
  MCP_MAX_BODY_BYTES: positiveInt('MCP_MAX_BODY_BYTES', 64 * 1024 * 1024).default(1024 * 1024),
  MCP_SHUTDOWN_TIMEOUT: positiveInt('MCP_SHUTDOWN_TIMEOUT', 3600).default(30),
  TRINO_OAUTH_ENABLED: bool('TRINO_OAUTH_ENABLED').optional(),
  OAUTH_ENABLED: bool('OAUTH_ENABLED').optional(),
  OAUTH_PROVIDER: oneOf('OAUTH_PROVIDER', ['hmac', 'oidc', 'okta', 'google', 'azure', 'auth0', 'keycloak', 'entra'] as const).optional(),
  OIDC_ISSUER: url('OIDC_ISSUER').optional(),
  OIDC_JWKS_URL: url('OIDC_JWKS_URL').optional(),
  OIDC_AUDIENCE: nonEmpty('OIDC_AUDIENCE').optional(),
  JWT_SECRET: z.string().optional(),
  OAUTH_CLOCK_TOLERANCE: wholeNumber('OAUTH_CLOCK_TOLERANCE', 600).default(30),
  OAUTH_REQUIRED_SCOPES: z.string().optional(),
  OAUTH_WRITE_SCOPE: z
    .string()
    .trim()
    .refine((v) => /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(v), { message: 'OAUTH_WRITE_SCOPE must be one OAuth scope (no spaces or quotes)' })
    .optional(),
  TRINO_IMPERSONATE: bool('TRINO_IMPERSONATE').optional(),
  TRINO_ENABLE_IMPERSONATION: bool('TRINO_ENABLE_IMPERSONATION').optional(),
  TRINO_IMPERSONATION_CLAIM: oneOf('TRINO_IMPERSONATION_CLAIM', ['preferred_username', 'email', 'sub', 'username', 'subject'] as const).optional(),
  TRINO_IMPERSONATION_FIELD: oneOf('TRINO_IMPERSONATION_FIELD', ['preferred_username', 'email', 'sub', 'username', 'subject'] as const).optional(),
});

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host.toLowerCase()) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(/[\s,]+/)
    .map((v) => v.trim())
    .filter(Boolean);
}

/**
 * Reads the configuration from environment variables. Pure: no defaults come from
 * anywhere but here, nothing is logged. Empty variables count as unset.
 */
export function loadConfig(env: Record<string, string | undefined>): ConfigResult {
  const present: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const v = env[key];
    if (v !== undefined && v !== '') present[key] = v;
  }
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const errors = parsed.error.issues.map((i) => {
      const key = String(i.path[0] ?? 'configuration');
      return i.message.startsWith(key) ? i.message : `${key}: ${i.message}`;
    });
    // The cross-variable checks need parsed values; the pattern checks do not: report them too.
    errors.push(
      ...validatePatterns('TRINO_ALLOWED_CATALOGS', list(present['TRINO_ALLOWED_CATALOGS']), 1),
      ...validatePatterns('TRINO_ALLOWED_SCHEMAS', list(present['TRINO_ALLOWED_SCHEMAS']), 2),
      ...validatePatterns('TRINO_ALLOWED_TABLES', list(present['TRINO_ALLOWED_TABLES']), 3),
    );
    return { ok: false, errors: [...new Set(errors)] };
  }
  const e = parsed.data;
  const errors: string[] = [];
  const allowlist: AllowlistSpec = {
    catalogs: list(e.TRINO_ALLOWED_CATALOGS),
    schemas: list(e.TRINO_ALLOWED_SCHEMAS),
    tables: list(e.TRINO_ALLOWED_TABLES),
  };
  errors.push(
    ...validatePatterns('TRINO_ALLOWED_CATALOGS', allowlist.catalogs, 1),
    ...validatePatterns('TRINO_ALLOWED_SCHEMAS', allowlist.schemas, 2),
    ...validatePatterns('TRINO_ALLOWED_TABLES', allowlist.tables, 3),
  );
  const scheme = e.TRINO_SCHEME ?? (e.TRINO_SSL ? 'https' : 'http');
  const host = e.TRINO_HOST.includes(':') && !e.TRINO_HOST.startsWith('[') ? `[${e.TRINO_HOST}]` : e.TRINO_HOST;

  const tlsOn = e.MCP_HTTPS;
  if (tlsOn && (!e.HTTPS_CERT_FILE || !e.HTTPS_KEY_FILE)) {
    errors.push(`${!e.HTTPS_CERT_FILE ? 'HTTPS_CERT_FILE' : 'HTTPS_KEY_FILE'}: required when MCP_HTTPS=true (PEM file path)`);
  }
  const mcpHost = e.MCP_HOST.replace(/^\[(.*)\]$/, '$1');
  const loopback = isLoopbackHost(mcpHost);
  const urlHost = mcpHost.includes(':') ? `[${mcpHost}]` : mcpHost === '0.0.0.0' ? '127.0.0.1' : mcpHost;
  const resourceUrl = e.MCP_URL ?? `${tlsOn ? 'https' : 'http'}://${urlHost}:${e.MCP_PORT}/mcp`;
  const allowedOrigins: string[] = [];
  for (const origin of list(e.MCP_ALLOWED_ORIGINS)) {
    if (!URL.canParse(origin) || new URL(origin).origin !== origin.replace(/\/$/, '')) {
      errors.push(`MCP_ALLOWED_ORIGINS: ${origin} is not an origin (scheme://host[:port])`);
    } else allowedOrigins.push(new URL(origin).origin);
  }

  const oauthOn = e.TRINO_OAUTH_ENABLED ?? e.OAUTH_ENABLED ?? false;
  let oauth: OAuthConfig | undefined;
  if (oauthOn) {
    const providerName = e.OAUTH_PROVIDER ?? (e.JWT_SECRET && !e.OIDC_ISSUER ? 'hmac' : 'oidc');
    const provider = providerName === 'hmac' ? 'hmac' : 'oidc';
    const issuer = e.OIDC_ISSUER?.replace(/\/$/, '') ?? (providerName === 'google' ? 'https://accounts.google.com' : undefined);
    if (provider === 'oidc' && !issuer) errors.push(`OIDC_ISSUER: required with OAUTH_PROVIDER=${providerName} (the identity provider's issuer URL)`);
    if (provider === 'hmac') {
      if (!e.JWT_SECRET) errors.push('JWT_SECRET: required with OAUTH_PROVIDER=hmac (at least 32 bytes)');
      else if (Buffer.byteLength(e.JWT_SECRET, 'utf8') < 32) errors.push('JWT_SECRET: must be at least 32 bytes long');
    }
    if (e.MCP_TRANSPORT === 'http' && !tlsOn && !loopback && !e.MCP_TRUST_PROXY) {
      errors.push(
        'MCP_HTTPS: OAuth over plain HTTP is refused on a non-loopback address; set MCP_HTTPS=true, or MCP_TRUST_PROXY=true when TLS ends at a proxy',
      );
    }
    oauth = {
      provider,
      providerName,
      issuer,
      jwksUrl: e.OIDC_JWKS_URL,
      audiences: e.OIDC_AUDIENCE ? [e.OIDC_AUDIENCE] : [resourceUrl, new URL('/sse', resourceUrl).href],
      secret: provider === 'hmac' ? e.JWT_SECRET : undefined,
      clockToleranceSec: e.OAUTH_CLOCK_TOLERANCE,
      requiredScopes: list(e.OAUTH_REQUIRED_SCOPES),
      writeScope: e.OAUTH_WRITE_SCOPE,
    };
  } else if (e.MCP_TRANSPORT === 'http' && !loopback && !e.MCP_ALLOW_UNAUTHENTICATED) {
    errors.push(
      `MCP_HOST: ${e.MCP_HOST} is not a loopback address and OAuth is off; enable OAuth (OAUTH_ENABLED=true) or set MCP_ALLOW_UNAUTHENTICATED=true`,
    );
  }

  const impersonate = e.TRINO_IMPERSONATE ?? e.TRINO_ENABLE_IMPERSONATION ?? false;
  const claimName = e.TRINO_IMPERSONATION_CLAIM ?? e.TRINO_IMPERSONATION_FIELD ?? 'preferred_username';
  const impersonation: ImpersonationClaim | undefined = impersonate
    ? claimName === 'username'
      ? 'preferred_username'
      : claimName === 'subject'
        ? 'sub'
        : claimName
    : undefined;
  if (impersonate && !oauthOn) errors.push('TRINO_IMPERSONATE: needs OAuth (OAUTH_ENABLED=true): the user comes from the token');

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    config: {
      trino: {
        host: e.TRINO_HOST,
        port: e.TRINO_PORT,
        scheme,
        user: e.TRINO_USER,
        password: e.TRINO_PASSWORD,
        verifyCertificates: !e.TRINO_SSL_INSECURE,
        server: `${scheme}://${host}:${e.TRINO_PORT}`,
      },
      defaults: { catalog: e.TRINO_CATALOG, schema: e.TRINO_SCHEMA },
      allowWriteQueries: e.TRINO_ALLOW_WRITE_QUERIES,
      allowPassthrough: e.TRINO_ALLOW_PASSTHROUGH_FUNCTIONS,
      allowlist,
      queryTimeoutMs: e.TRINO_QUERY_TIMEOUT * 1000,
      maxRows: e.TRINO_MAX_ROWS,
      transport: e.MCP_TRANSPORT,
      http: {
        host: mcpHost,
        port: e.MCP_PORT,
        resourceUrl,
        loopback,
        allowUnauthenticated: e.MCP_ALLOW_UNAUTHENTICATED,
        allowedOrigins,
        tls: tlsOn && e.HTTPS_CERT_FILE && e.HTTPS_KEY_FILE ? { certFile: e.HTTPS_CERT_FILE, keyFile: e.HTTPS_KEY_FILE } : undefined,
        trustProxy: e.MCP_TRUST_PROXY,
        maxBodyBytes: e.MCP_MAX_BODY_BYTES,
        shutdownGraceMs: e.MCP_SHUTDOWN_TIMEOUT * 1000,
      },
      oauth,
      impersonation,
    },
  };
}

/** The configuration as it may be logged: password and JWT secret replaced by a marker. */
export function redactedConfig(config: Config): Record<string, unknown> {
  return {
    ...config,
    trino: { ...config.trino, password: config.trino.password === undefined ? undefined : '[redacted]' },
    ...(config.oauth ? { oauth: { ...config.oauth, secret: config.oauth.secret === undefined ? undefined : '[redacted]' } } : {}),
  };
}
