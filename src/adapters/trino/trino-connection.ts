import type { TrinoCredentials } from './credentials/trino-credentials.ts';
import type { TrinoTlsOptions } from './trino-http.ts';

/** How to reach Trino; built by src/app/config from TRINO_* variables. */
export interface TrinoConnection {
  /** e.g. `https://trino.example.com:443` */
  readonly server: string;
  readonly user: string;
  readonly password?: string | undefined;
  /** Verify the server certificate (false only with TRINO_SSL_INSECURE=true). */
  readonly verifyCertificates: boolean;
  /** X-Trino-Source. */
  readonly source: string;
  /** TRINO_IMPERSONATE: the principal's claim becomes the Trino session user. */
  readonly impersonation?: 'preferred_username' | 'email' | 'sub' | undefined;
  /**
   * The largest Trino response read (one page of results, decompressed); DEFAULT_MAX_RESPONSE_BYTES
   * when not given. A larger one is dropped unread and the stream ends with `oversized`:
   * a page is parsed whole, and Trino sends one value of any size in one page.
   */
  readonly maxResponseBytes?: number | undefined;
  /** Keep-alive connections to Trino (DEFAULT_CONNECTIONS when not given); more requests wait for one. */
  readonly connections?: number | undefined;
  /** TRINO_HTTP_COMPRESSION: ask Trino for gzip answers. */
  readonly compression?: boolean | undefined;
  /** TRINO_AUTH: the Authorization of each query; without it, basic when `password` is set, else none. */
  readonly credentials?: TrinoCredentials | undefined;
  /** TLS material for https (tls-options.ts) beyond `verifyCertificates`: CA, client certificate, server name. */
  readonly tls?: Omit<TrinoTlsOptions, 'rejectUnauthorized'> | undefined;
}

export const TrinoConnection = Symbol.for('TrinoConnection');

/**
 * Trino aims at pages of about 1 MB and lets them grow to 8 MB for large rows, so no
 * ordinary page comes near this. A page is held about twice over while it is parsed (the
 * response text, then its values; four times for text past Latin-1), which 16 MiB keeps
 * well inside a small heap.
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
/** Enough for the default TRINO_MAX_CONCURRENT_QUERIES, with room for the cancels. */
export const DEFAULT_CONNECTIONS = 20;
