import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type Koa from 'koa';
import type { Logger } from '../../ports/logger.ts';
import type { Inflight } from '../lifecycle/inflight.ts';

/** Listens with HTTP or HTTPS. */
export function listen(
  app: Koa,
  options: { host: string; port: number; tls?: { cert: Buffer; key: Buffer } | undefined },
): Promise<Server> {
  const server = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, app.callback()) : createHttpServer(app.callback());
  // Long-running tool calls: the query timeout governs, not the socket.
  server.requestTimeout = 0;
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
