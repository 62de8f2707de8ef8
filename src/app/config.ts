import { validatePatterns, type AllowlistSpec } from '../domain/allowlist.ts';
import { isLoopbackHost } from '../domain/loopback.ts';
import type { NameDefaults } from '../domain/model.ts';
import { envSchema } from './env-schema.ts';
import type { TrinoTlsSettings } from '../adapters/trino/tls-options.ts';
import { trinoAuthConfig, type TrinoAuthConfig } from './trino-auth-config.ts';

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
    /** TRINO_AUTH: how this server authenticates to Trino. */
    readonly auth: TrinoAuthConfig;
    /** TRINO_SSL_*: CA, client certificate, server name. */
    readonly tls: TrinoTlsSettings;
  };
  readonly defaults: NameDefaults;
  readonly allowWriteQueries: boolean;
  /** TRINO_ALLOW_PASSTHROUGH_FUNCTIONS: reads may call table functions that send SQL to a connector. */
  readonly allowPassthrough: boolean;
  /** TRINO_ALLOWED_CATALOGS / _SCHEMAS / _TABLES (empty lists: no restriction). */
  readonly allowlist: AllowlistSpec;
  readonly queryTimeoutMs: number;
  readonly maxRows: number;
  /** Byte and concurrency limits of query results and Trino queries. */
  readonly limits: LimitsConfig;
  /** TRINO_ALLOWED_TABLE_FUNCTIONS: table functions reads may call besides the built-in safe ones (lower case, as written). */
  readonly allowedTableFunctions: readonly string[];
  readonly transport: 'stdio' | 'http';
  readonly http: HttpConfig;
  /** Set when OAuth is on (TRINO_OAUTH_ENABLED / OAUTH_ENABLED). */
  readonly oauth?: OAuthConfig | undefined;
  /** TRINO_IMPERSONATE: run queries as this claim of the caller's token instead of TRINO_USER. */
  readonly impersonation?: ImpersonationClaim | undefined;
}

export interface LimitsConfig {
  /** TRINO_MAX_RESULT_BYTES: rendered bytes of one result before it is truncated and the query cancelled. */
  readonly maxResultBytes: number;
  /** TRINO_MAX_VALUE_BYTES: rendered bytes of one value before it is cut with a visible marker. */
  readonly maxValueBytes: number;
  /** TRINO_MAX_CONCURRENT_QUERIES: Trino queries this server runs at once, for everyone. */
  readonly maxConcurrentQueries: number;
  /** TRINO_MAX_CONCURRENT_QUERIES_PER_USER: Trino queries one principal runs at once. */
  readonly maxConcurrentQueriesPerUser: number;
  /** TRINO_MAX_QUEUED_QUERIES: calls that may wait for a slot; beyond it a call is refused at once (BUSY). */
  readonly maxQueuedQueries: number;
  /** TRINO_QUEUE_TIMEOUT: how long a call waits for a slot before it is refused (BUSY). */
  readonly queueTimeoutMs: number;
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
  /** MCP_MAX_BATCH_SIZE: JSON-RPC messages in one request body. */
  readonly maxBatchSize: number;
  /** MCP_HEADERS_TIMEOUT: time for a request's headers to arrive. */
  readonly headersTimeoutMs: number;
  /** MCP_REQUEST_TIMEOUT: time for a request's headers and body to arrive (408 or closed after). */
  readonly requestTimeoutMs: number;
  /** MCP_KEEPALIVE_TIMEOUT: idle time of a kept-alive connection between requests. */
  readonly keepAliveTimeoutMs: number;
  /** MCP_MAX_SSE_STREAMS: open 2024-11-05 SSE streams, in total. */
  readonly maxSseStreams: number;
  /** MCP_MAX_SSE_STREAMS_PER_USER: open SSE streams of one principal. */
  readonly maxSseStreamsPerUser: number;
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
  /** OIDC_JWKS_COOLDOWN: least time between two JWKS refetches an unknown key id triggers. */
  readonly jwksCooldownMs: number;
  readonly requiredScopes: readonly string[];
  /** OAUTH_WRITE_SCOPE: needed, on top of the required scopes, for execute_statement. */
  readonly writeScope?: string | undefined;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; errors: string[] };

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
  for (const key of Object.keys(envSchema.shape)) {
    const v = env[key];
    if (v !== undefined && v !== '') present[key] = v;
  }
  const parsed = envSchema.safeParse(present);
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

  // Node refuses a headers timeout beyond the request timeout (the headers are part of the request).
  if (e.MCP_HEADERS_TIMEOUT > e.MCP_REQUEST_TIMEOUT) {
    errors.push(`MCP_HEADERS_TIMEOUT: ${e.MCP_HEADERS_TIMEOUT} s exceeds MCP_REQUEST_TIMEOUT (${e.MCP_REQUEST_TIMEOUT} s), which bounds headers and body together`);
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
      jwksCooldownMs: e.OIDC_JWKS_COOLDOWN * 1000,
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
  const trinoAuth = trinoAuthConfig(e, { scheme, httpOAuth: e.MCP_TRANSPORT === 'http' && oauthOn, impersonating: impersonate });
  errors.push(...trinoAuth.errors);
  if (impersonate && !oauthOn) errors.push('TRINO_IMPERSONATE: needs OAuth (OAUTH_ENABLED=true): the user comes from the token');

  if (errors.length > 0 || !trinoAuth.auth) return { ok: false, errors };
  return {
    ok: true,
    config: {
      trino: {
        host: e.TRINO_HOST,
        port: e.TRINO_PORT,
        scheme,
        user: e.TRINO_USER,
        password: trinoAuth.auth.mode === 'basic' ? trinoAuth.auth.password : undefined,
        verifyCertificates: !e.TRINO_SSL_INSECURE,
        server: `${scheme}://${host}:${e.TRINO_PORT}`,
        auth: trinoAuth.auth,
        tls: trinoAuth.tls,
      },
      defaults: { catalog: e.TRINO_CATALOG, schema: e.TRINO_SCHEMA },
      allowWriteQueries: e.TRINO_ALLOW_WRITE_QUERIES,
      allowPassthrough: e.TRINO_ALLOW_PASSTHROUGH_FUNCTIONS,
      allowlist,
      queryTimeoutMs: e.TRINO_QUERY_TIMEOUT * 1000,
      maxRows: e.TRINO_MAX_ROWS,
      limits: {
        maxResultBytes: e.TRINO_MAX_RESULT_BYTES,
        maxValueBytes: e.TRINO_MAX_VALUE_BYTES,
        maxConcurrentQueries: e.TRINO_MAX_CONCURRENT_QUERIES,
        maxConcurrentQueriesPerUser: e.TRINO_MAX_CONCURRENT_QUERIES_PER_USER,
        maxQueuedQueries: e.TRINO_MAX_QUEUED_QUERIES,
        queueTimeoutMs: e.TRINO_QUEUE_TIMEOUT * 1000,
      },
      allowedTableFunctions: list(e.TRINO_ALLOWED_TABLE_FUNCTIONS).map((f) => f.toLowerCase()),
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
        maxBatchSize: e.MCP_MAX_BATCH_SIZE,
        headersTimeoutMs: e.MCP_HEADERS_TIMEOUT * 1000,
        requestTimeoutMs: e.MCP_REQUEST_TIMEOUT * 1000,
        keepAliveTimeoutMs: e.MCP_KEEPALIVE_TIMEOUT * 1000,
        maxSseStreams: e.MCP_MAX_SSE_STREAMS,
        maxSseStreamsPerUser: e.MCP_MAX_SSE_STREAMS_PER_USER,
      },
      oauth,
      impersonation,
    },
  };
}
