import { createServer, type Server } from 'node:http';
import type Router from '@koa/router';
import type { Context } from 'koa';

/** What /metrics shows: the exposition text and its content type. */
export interface MetricsSource {
  render(): Promise<{ body: string; contentType: string }>;
}

/** GET /metrics on the MCP listener (only where that listener is loopback: src/app/telemetry.ts decides). */
export function metricsRoute(router: Router, source: MetricsSource): void {
  router.get('/metrics', async (ctx: Context) => {
    const { body, contentType } = await source.render();
    ctx.set('Cache-Control', 'no-store');
    ctx.type = contentType;
    ctx.body = body;
  });
}

/**
 * The metrics listener of METRICS_PORT: GET /metrics and nothing else, on its own address
 * (METRICS_HOST), so the scraper's network can reach it while the MCP port faces clients.
 */
export async function startMetricsServer(host: string, port: number, source: MetricsSource): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    source.render().then(
      ({ body, contentType }) => res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' }).end(req.method === 'HEAD' ? undefined : body),
      () => res.writeHead(500, { 'Content-Type': 'text/plain' }).end('metrics unavailable\n'),
    );
  });
  // The scraper's requests are small and quick: a slow client is cut early.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return { server, url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}/metrics` };
}
