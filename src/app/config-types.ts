/** The typed configuration loadConfig (config.ts) builds. */
import type { LogLevel } from '../adapters/log/pino-logger.ts';
import type { AllowlistSpec } from '../domain/allowlist.ts';
import type { NameDefaults } from '../domain/model.ts';
import type { TrinoTlsSettings } from '../adapters/trino/tls-options.ts';
import type { TrinoAuthConfig } from './trino-auth-config.ts';
import type { ObservabilityConfig } from './observability-config.ts';

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
    /** TRINO_HTTP_COMPRESSION: ask Trino for gzip answers. */
    readonly compression: boolean;
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
  /** MCP_PROGRESS_INTERVAL_MS: how often a running call tells a client that asked for progress. */
  readonly progressIntervalMs: number;
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
  /** LOG_LEVEL: the least severe level written. */
  readonly logLevel: LogLevel;
  readonly results: ResultsConfig;
  readonly observability: ObservabilityConfig;
  /** RATE_LIMIT_PER_MINUTE / RATE_LIMIT_BURST: each principal's token bucket; undefined when off (0). */
  readonly rateLimit?: { readonly perMinute: number; readonly burst: number } | undefined;
}

/** Result pages, the rendering of results, and the confirmation of writes. */
export interface ResultsConfig {
  /** TRINO_CURSOR_TTL, in ms: how long the pages of one result can be read, from its first page. */
  readonly cursorTtlMs: number;
  /** MCP_CURSOR_SECRET: the key of cursors shared by replicas; unset, each process draws its own. */
  readonly cursorSecret?: string | undefined;
  /** TRINO_MARK_UNTRUSTED: result values go in a fenced block marked as data, not instructions. */
  readonly markUntrusted: boolean;
  /** TRINO_WRITE_CONFIRMATION: ask the user before execute_statement runs (elicit), or not (none). */
  readonly writeConfirmation: 'elicit' | 'none';
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
