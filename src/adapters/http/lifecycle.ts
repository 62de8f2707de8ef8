import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type Koa from 'koa';
import type { Logger } from '../../ports/logger.ts';
import type { Inflight } from '../lifecycle/inflight.ts';

/** How long a client may take to send a request, and to idle between two. */
export interface HttpTimeouts {
  /** MCP_HEADERS_TIMEOUT: from the first byte of a request (or the connection) to its last header. */
  readonly headersMs: number;
  /** MCP_REQUEST_TIMEOUT: to its last byte of body; at least headersMs (config checks it). */
  readonly requestMs: number;
  /** MCP_KEEPALIVE_TIMEOUT: idle time of a kept-alive connection between requests. */
  readonly keepAliveMs: number;
}

/**
 * Node's options for the timeouts. Node bounds only the arrival of a request: once its
 * last byte is in, the parser leaves the list Node checks, so a long answer (a tool call
 * running for minutes, an SSE stream open for hours) is never cut: the query timeout
 * bounds a call, the stream caps and the opener's token a stream. A request late at a
 * check is answered 408 and its connection closed (test/integration/http-limits).
 * Node checks every connectionsCheckingInterval (30 s by default, which would let a
 * 60 s timeout stretch to 90 s): here once a second, or four times per timeout when it is
 * shorter, so a request is cut at most a second (or a quarter of the timeout) late.
 */
export function serverTimeouts(t: HttpTimeouts) {
  return {
    headersTimeout: t.headersMs,
    requestTimeout: t.requestMs,
    keepAliveTimeout: t.keepAliveMs,
    connectionsCheckingInterval: Math.min(1_000, Math.ceil(Math.min(t.headersMs, t.requestMs) / 4)),
  };
}

/** Listens with HTTP or HTTPS. */
export function listen(
  app: Koa,
  options: { host: string; port: number; tls?: { cert: Buffer; key: Buffer } | undefined; timeouts: HttpTimeouts },
): Promise<Server> {
  const timeouts = serverTimeouts(options.timeouts);
  const server = options.tls
    ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key, ...timeouts }, app.callback())
    : createHttpServer(timeouts, app.callback());
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/**
 * Graceful shutdown: stop accepting, let the requests in flight finish for up to
 * `graceMs`, then abort the rest (Inflight.shutdown, shared with stdio), and close every
 * connection.
 */
export async function shutdown(server: Server, inflight: Inflight, graceMs: number, log: Logger): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  await inflight.shutdown(graceMs, log);
  server.closeAllConnections();
  await closed;
}
