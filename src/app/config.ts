import { validatePatterns, type AllowlistSpec } from '../domain/allowlist.ts';
import { isLoopbackHost } from '../domain/loopback.ts';
import type { Config, ImpersonationClaim, OAuthConfig } from './config-types.ts';
import { envSchema } from './env-schema.ts';
import { observabilityConfig } from './observability-config.ts';
import { trinoAuthConfig } from './trino-auth-config.ts';

export type * from './config-types.ts';

/** RATE_LIMIT_PER_MINUTE over HTTP when unset: ten calls a second per principal, far above an assistant's pace. */
const DEFAULT_RATE_PER_MINUTE = 600;

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
  // On by default over HTTP, where many principals share one server; over stdio the one
  // caller is the operator's own client, already bounded by the query caps: off unless set.
  const perMinute = e.RATE_LIMIT_PER_MINUTE ?? (e.MCP_TRANSPORT === 'http' ? DEFAULT_RATE_PER_MINUTE : 0);
  // Over HTTP a batch costs one token per message: a burst below a full batch would refuse it forever.
  if (perMinute > 0 && e.MCP_TRANSPORT === 'http' && e.RATE_LIMIT_BURST < e.MCP_MAX_BATCH_SIZE) {
    errors.push(`RATE_LIMIT_BURST: ${e.RATE_LIMIT_BURST} is below MCP_MAX_BATCH_SIZE (${e.MCP_MAX_BATCH_SIZE}); a full batch could never pass`);
  }
  if (impersonate && !oauthOn) errors.push('TRINO_IMPERSONATE: needs OAuth (OAUTH_ENABLED=true): the user comes from the token');

  const observability = observabilityConfig(e, errors);
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
        compression: e.TRINO_HTTP_COMPRESSION,
        auth: trinoAuth.auth,
        tls: trinoAuth.tls,
      },
      defaults: { catalog: e.TRINO_CATALOG, schema: e.TRINO_SCHEMA },
      allowWriteQueries: e.TRINO_ALLOW_WRITE_QUERIES,
      allowPassthrough: e.TRINO_ALLOW_PASSTHROUGH_FUNCTIONS,
      allowlist,
      queryTimeoutMs: e.TRINO_QUERY_TIMEOUT * 1000,
      progressIntervalMs: e.MCP_PROGRESS_INTERVAL_MS,
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
      logLevel: e.LOG_LEVEL,
      results: {
        cursorTtlMs: e.TRINO_CURSOR_TTL * 1000,
        cursorSecret: e.MCP_CURSOR_SECRET,
        markUntrusted: e.TRINO_MARK_UNTRUSTED,
        writeConfirmation: e.TRINO_WRITE_CONFIRMATION,
      },
      rateLimit: perMinute > 0 ? { perMinute, burst: e.RATE_LIMIT_BURST } : undefined,
      observability,
    },
  };
}
