import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type Router from '@koa/router';
import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/server';
import type { Context, Middleware } from 'koa';
import type { TrinoMcpServer } from '../mcp/trino-mcp-server.ts';
import { principalOf } from './bearer-auth.ts';
import { requestAbort } from './guards.ts';

const KEEPALIVE_MS = 15_000;

/**
 * The 2024-11-05 HTTP+SSE transport (GET /sse opens an event stream whose first event
 * names a POST endpoint; responses travel back over the stream), for clients such as
 * `mcp-remote --transport sse-only`.
 *
 * Hand-written because the v2 SDK no longer ships this transport, and the v1 SDK's
 * would pull a second SDK and express into production for ~60 lines of protocol.
 */
export class LegacySseTransport implements Transport {
  readonly sessionId = randomUUID();
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: (<T extends JSONRPCMessage>(message: T) => void) | undefined;
  private keepalive: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly endpoint: string,
  ) {}

  async start(): Promise<void> {
    this.res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache, no-store, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    this.res.write(`event: endpoint\ndata: ${this.endpoint}?sessionId=${this.sessionId}\n\n`);
    this.keepalive = setInterval(() => this.res.write(': keepalive\n\n'), KEEPALIVE_MS);
    this.keepalive.unref();
    this.res.on('close', () => void this.close());
  }

  /** A message the client POSTed to the endpoint. */
  receive(message: JSONRPCMessage): void {
    this.onmessage?.(message);
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.closed) throw new Error('SSE stream closed');
    this.res.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepalive);
    if (!this.res.writableEnded) this.res.end();
    this.onclose?.();
  }
}

function refuse(ctx: Context, status: number, error: string, description: string): void {
  ctx.status = status;
  ctx.body = { error, error_description: description };
}

/** Reads a JSON body of at most `limit` bytes; answers 413/400 itself and returns undefined then. */
async function readJson(ctx: Context, limit: number): Promise<JSONRPCMessage | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      refuse(ctx, 413, 'payload_too_large', `The body exceeds ${limit} bytes.`);
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as JSONRPCMessage;
  } catch {
    ctx.status = 400;
    ctx.body = { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } };
    return undefined;
  }
}

/**
 * 2024-11-05 HTTP+SSE: GET /sse opens the stream (one server instance for the session,
 * for the user who opened it), POST /messages?sessionId= carries requests. Sessions live
 * in this replica's memory. A GET /sse from a streamable-HTTP client (it sends
 * Mcp-Protocol-Version) goes to `streamable` instead.
 */
export function legacySseRoutes(
  router: Router,
  deps: { servers: TrinoMcpServer; authenticate: Middleware; streamable: (ctx: Context) => Promise<void>; maxBodyBytes: number },
): Map<string, { transport: LegacySseTransport; subject: string }> {
  const sessions = new Map<string, { transport: LegacySseTransport; subject: string }>();
  router.get('/sse', deps.authenticate, async (ctx) => {
    if (ctx.get('Mcp-Protocol-Version')) return deps.streamable(ctx);
    const principal = principalOf(ctx);
    const controller = requestAbort(ctx);
    const transport = new LegacySseTransport(ctx.res, '/messages');
    const server = deps.servers.create({ principal, signal: controller.signal });
    sessions.set(transport.sessionId, { transport, subject: principal.subject });
    transport.onclose = () => {
      sessions.delete(transport.sessionId);
      controller.abort(new Error('SSE stream closed'));
      void server.close().catch(() => undefined);
    };
    ctx.respond = false;
    await server.connect(transport);
  });
  router.post('/messages', deps.authenticate, async (ctx) => {
    const session = sessions.get(String(ctx.query['sessionId']));
    if (!session || session.subject !== principalOf(ctx).subject) return refuse(ctx, 404, 'not_found', 'Unknown SSE session.');
    if (!/^application\/json\b/i.test(ctx.get('Content-Type'))) {
      return refuse(ctx, 415, 'unsupported_media_type', 'Content-Type must be application/json.');
    }
    const message = await readJson(ctx, deps.maxBodyBytes);
    if (!message) return;
    session.transport.receive(message);
    ctx.status = 202;
    ctx.body = 'Accepted';
  });
  return sessions;
}
