import { z } from 'zod';
import { LOG_LEVELS } from '../adapters/log/pino-logger.ts';
import { sessionUserProblem } from '../adapters/trino/identity-headers.ts';

/**
 * Every environment variable the server reads, with its parser: the one list of them.
 * Values are strings as the environment gives them; loadConfig (config.ts) checks the
 * combinations and builds the typed Config.
 */
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

export const envSchema = z.object({
  TRINO_HOST: nonEmpty('TRINO_HOST')
    .refine((v) => !/[\s/]/.test(v) && (!v.includes(':') || isIpv6(v)), {
      message: 'TRINO_HOST must be a host name or address without scheme, port or path (the port goes in TRINO_PORT)',
    })
    .default('localhost'),
  TRINO_PORT: positiveInt('TRINO_PORT', 65535).default(8080),
  // The same rule as an impersonated user: X-Trino-User carries it exactly or not at all.
  TRINO_USER: nonEmpty('TRINO_USER')
    .superRefine((v, ctx) => {
      const problem = v === '' ? undefined : sessionUserProblem(v); // empty: reported by nonEmpty
      if (problem) ctx.addIssue({ code: 'custom', message: `TRINO_USER ${problem}: Trino would not receive it exactly` });
    })
    .default('trino'),
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
  TRINO_HTTP_COMPRESSION: bool('TRINO_HTTP_COMPRESSION').default(false),
  TRINO_AUTH: oneOf('TRINO_AUTH', ['none', 'basic', 'jwt', 'client_credentials', 'token_exchange'] as const).optional(),
  TRINO_ALLOW_INSECURE_AUTH: bool('TRINO_ALLOW_INSECURE_AUTH').default(false),
  TRINO_ACCESS_TOKEN: z.string().trim().optional(),
  TRINO_ACCESS_TOKEN_FILE: nonEmpty('TRINO_ACCESS_TOKEN_FILE').optional(),
  TRINO_OAUTH_TOKEN_URL: url('TRINO_OAUTH_TOKEN_URL').optional(),
  TRINO_OAUTH_ISSUER: url('TRINO_OAUTH_ISSUER').optional(),
  TRINO_OAUTH_CLIENT_ID: nonEmpty('TRINO_OAUTH_CLIENT_ID').optional(),
  TRINO_OAUTH_CLIENT_SECRET: z.string().optional(),
  TRINO_OAUTH_CLIENT_SECRET_FILE: nonEmpty('TRINO_OAUTH_CLIENT_SECRET_FILE').optional(),
  TRINO_OAUTH_SCOPE: z
    .string()
    .trim()
    .refine((v) => /^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/.test(v), { message: 'TRINO_OAUTH_SCOPE must be OAuth scopes separated by single spaces' })
    .optional(),
  TRINO_OAUTH_AUDIENCE: nonEmpty('TRINO_OAUTH_AUDIENCE').optional(),
  TRINO_SSL_CA: z.string().optional(),
  TRINO_SSL_CA_FILE: nonEmpty('TRINO_SSL_CA_FILE').optional(),
  TRINO_SSL_CERT_FILE: nonEmpty('TRINO_SSL_CERT_FILE').optional(),
  TRINO_SSL_KEY_FILE: nonEmpty('TRINO_SSL_KEY_FILE').optional(),
  TRINO_SSL_KEY_PASSPHRASE: z.string().optional(),
  TRINO_SSL_SERVERNAME: nonEmpty('TRINO_SSL_SERVERNAME')
    .refine((v) => /^[A-Za-z0-9.-]+$/.test(v), { message: 'TRINO_SSL_SERVERNAME must be a DNS host name' })
    .optional(),
  TRINO_ALLOW_WRITE_QUERIES: bool('TRINO_ALLOW_WRITE_QUERIES').default(false),
  TRINO_ALLOW_PASSTHROUGH_FUNCTIONS: bool('TRINO_ALLOW_PASSTHROUGH_FUNCTIONS').default(false),
  TRINO_ALLOWED_CATALOGS: z.string().optional(),
  TRINO_ALLOWED_SCHEMAS: z.string().optional(),
  TRINO_ALLOWED_TABLES: z.string().optional(),
  TRINO_QUERY_TIMEOUT: positiveInt('TRINO_QUERY_TIMEOUT', 86_400).default(300),
  TRINO_MAX_ROWS: positiveInt('TRINO_MAX_ROWS', 1_000_000).default(1000),
  TRINO_MAX_RESULT_BYTES: positiveInt('TRINO_MAX_RESULT_BYTES', 1024 * 1024 * 1024).default(4 * 1024 * 1024),
  TRINO_MAX_VALUE_BYTES: positiveInt('TRINO_MAX_VALUE_BYTES', 64 * 1024 * 1024).default(64 * 1024),
  TRINO_ALLOWED_TABLE_FUNCTIONS: z.string().optional(),
  TRINO_MAX_CONCURRENT_QUERIES: positiveInt('TRINO_MAX_CONCURRENT_QUERIES', 10_000).default(16),
  TRINO_MAX_CONCURRENT_QUERIES_PER_USER: positiveInt('TRINO_MAX_CONCURRENT_QUERIES_PER_USER', 10_000).default(4),
  TRINO_MAX_QUEUED_QUERIES: wholeNumber('TRINO_MAX_QUEUED_QUERIES', 100_000).default(64),
  TRINO_QUEUE_TIMEOUT: wholeNumber('TRINO_QUEUE_TIMEOUT', 600).default(5),
  TRINO_CURSOR_TTL: positiveInt('TRINO_CURSOR_TTL', 86_400).default(300),
  MCP_CURSOR_SECRET: z
    .string()
    .refine((v) => Buffer.byteLength(v, 'utf8') >= 32, { message: 'MCP_CURSOR_SECRET must be at least 32 bytes long' })
    .optional(),
  TRINO_MARK_UNTRUSTED: bool('TRINO_MARK_UNTRUSTED').default(true),
  TRINO_WRITE_CONFIRMATION: oneOf('TRINO_WRITE_CONFIRMATION', ['elicit', 'none'] as const).default('elicit'),
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
  MCP_MAX_BATCH_SIZE: positiveInt('MCP_MAX_BATCH_SIZE', 1000).default(20),
  MCP_HEADERS_TIMEOUT: positiveInt('MCP_HEADERS_TIMEOUT', 3600).default(20),
  MCP_REQUEST_TIMEOUT: positiveInt('MCP_REQUEST_TIMEOUT', 3600).default(60),
  MCP_KEEPALIVE_TIMEOUT: positiveInt('MCP_KEEPALIVE_TIMEOUT', 3600).default(5),
  MCP_MAX_SSE_STREAMS: positiveInt('MCP_MAX_SSE_STREAMS', 100_000).default(100),
  MCP_PROGRESS_INTERVAL_MS: positiveInt('MCP_PROGRESS_INTERVAL_MS', 60_000).default(5_000),
  MCP_MAX_SSE_STREAMS_PER_USER: positiveInt('MCP_MAX_SSE_STREAMS_PER_USER', 10_000).default(5),
  LOG_LEVEL: oneOf('LOG_LEVEL', LOG_LEVELS).default('info'),
  // 0 turns rate limiting off; unset, it is on over HTTP only (see loadConfig).
  RATE_LIMIT_PER_MINUTE: wholeNumber('RATE_LIMIT_PER_MINUTE', 1_000_000).optional(),
  RATE_LIMIT_BURST: positiveInt('RATE_LIMIT_BURST', 1_000_000).default(60),
  TRINO_OAUTH_ENABLED: bool('TRINO_OAUTH_ENABLED').optional(),
  OAUTH_ENABLED: bool('OAUTH_ENABLED').optional(),
  OAUTH_PROVIDER: oneOf('OAUTH_PROVIDER', ['hmac', 'oidc', 'okta', 'google', 'azure', 'auth0', 'keycloak', 'entra'] as const).optional(),
  OIDC_ISSUER: url('OIDC_ISSUER').optional(),
  OIDC_JWKS_URL: url('OIDC_JWKS_URL').optional(),
  OIDC_AUDIENCE: nonEmpty('OIDC_AUDIENCE').optional(),
  JWT_SECRET: z.string().optional(),
  OAUTH_CLOCK_TOLERANCE: wholeNumber('OAUTH_CLOCK_TOLERANCE', 600).default(30),
  OIDC_JWKS_COOLDOWN: wholeNumber('OIDC_JWKS_COOLDOWN', 3600).default(30),
  OAUTH_REQUIRED_SCOPES: z.string().optional(),
  OAUTH_WRITE_SCOPE: z
    .string()
    .trim()
    .refine((v) => /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(v), { message: 'OAUTH_WRITE_SCOPE must be one OAuth scope (no spaces or quotes)' })
    .optional(),
  TRINO_IMPERSONATE: bool('TRINO_IMPERSONATE').optional(),
  TRINO_ENABLE_IMPERSONATION: bool('TRINO_ENABLE_IMPERSONATION').optional(),
  TRINO_IMPERSONATION_CLAIM: oneOf('TRINO_IMPERSONATION_CLAIM', ['preferred_username', 'email', 'sub', 'username', 'subject'] as const).optional(),
  METRICS_PORT: positiveInt('METRICS_PORT', 65535).optional(),
  METRICS_HOST: nonEmpty('METRICS_HOST').default('127.0.0.1'),
  // The OpenTelemetry variables that decide whether traces are on; the exporter reads the
  // rest of OTEL_EXPORTER_OTLP_* (headers, timeout, certificates) and OTEL_SERVICE_NAME /
  // OTEL_RESOURCE_ATTRIBUTES itself, as the OTel conventions define them.
  OTEL_SDK_DISABLED: bool('OTEL_SDK_DISABLED').default(false),
  OTEL_TRACES_EXPORTER: oneOf('OTEL_TRACES_EXPORTER', ['otlp', 'console', 'none'] as const).optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: url('OTEL_EXPORTER_OTLP_ENDPOINT').optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT').optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: nonEmpty('OTEL_EXPORTER_OTLP_PROTOCOL').optional(),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: nonEmpty('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL').optional(),
  TRINO_IMPERSONATION_FIELD: oneOf('TRINO_IMPERSONATION_FIELD', ['preferred_username', 'email', 'sub', 'username', 'subject'] as const).optional(),
});

export type Env = z.infer<typeof envSchema>;
