import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type Router from '@koa/router';
import type { AuthInfo, JSONRPCMessage, MessageExtraInfo, Transport } from '@modelcontextprotocol/server';
import type { Context, Middleware } from 'koa';
import type { Principal } from '../../domain/model.ts';
import type { TrinoMcpServer } from '../mcp/trino-mcp-server.ts';
import { principalOf } from './bearer-auth.ts';
import { requestAbort } from './guards.ts';
import type { RpcGate } from './rpc-gate.ts';
import { StreamSlots, type SlotRefusal } from './stream-slots.ts';

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
  onmessage?: (<T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void) | undefined;
  private keepalive: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly endpoint: string,
  ) {}

  async start(): Promise<void> {
    // The client may have gone while it was authenticated: no 'close' would come to free the session.
    if (this.closed || !this.res.socket || this.res.socket.destroyed) return this.close();
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

  /** A message the client POSTed to the endpoint, with the authentication of that POST. */
  receive(message: JSONRPCMessage, extra: MessageExtraInfo): void {
    this.onmessage?.(message, extra);
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

/** Seconds a client refused a stream is told to wait: streams are long-lived, a slot frees rarely sooner. */
const STREAM_RETRY_AFTER_SECONDS = 30;

/** A stream over a cap: 429 when the principal holds its share (its own doing), 503 when the server is full. */
function refuseStream(ctx: Context, refusal: SlotRefusal, limits: SseLimits): void {
  ctx.set('Retry-After', String(STREAM_RETRY_AFTER_SECONDS));
  ctx.set('Cache-Control', 'no-store');
  if (refusal === 'per_user') {
    return refuse(ctx, 429, 'too_many_streams', `At most ${limits.maxSseStreamsPerUser} SSE streams may be open per user (MCP_MAX_SSE_STREAMS_PER_USER); close one first.`);
  }
  refuse(ctx, 503, 'temporarily_unavailable', `The server holds its maximum of ${limits.maxSseStreams} SSE streams (MCP_MAX_SSE_STREAMS); retry later.`);
}

/**
 * Reads a body of at most `limit` bytes; answers 413 itself and returns undefined then.
 * A body that trickles in is bounded by the server's request timeout (MCP_REQUEST_TIMEOUT).
 */
async function readBody(ctx: Context, limit: number): Promise<Buffer | undefined> {
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
  return Buffer.concat(chunks);
}

/** setTimeout's largest delay; a later expiry is re-armed when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Closes the stream when its opener's token is no longer accepted; returns the disarm. */
function closeAtExpiry(expiresAt: number | undefined, close: () => void): () => void {
  if (expiresAt === undefined) return () => undefined;
  let timer: NodeJS.Timeout;
  const arm = () => {
    const left = expiresAt - Date.now();
    if (left <= 0) return close();
    timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
    timer.unref();
  };
  arm();
  return () => clearTimeout(timer);
}

export interface SseLimits {
  /** MCP_MAX_SSE_STREAMS. */
  readonly maxSseStreams: number;
  /** MCP_MAX_SSE_STREAMS_PER_USER. */
  readonly maxSseStreamsPerUser: number;
}

interface Session {
  readonly transport: LegacySseTransport;
  readonly subject: string;
  /** The principal of each POST, found by the session's server through the AuthInfo handed with its messages. */
  readonly principals: WeakMap<AuthInfo, Principal>;
}

/**
 * 2024-11-05 HTTP+SSE: GET /sse opens the stream (one server instance for the session,
 * for the user who opened it), POST /messages?sessionId= carries requests. Sessions live
 * in this replica's memory. A GET /sse from a streamable-HTTP client (it sends
 * Mcp-Protocol-Version) goes to `streamable` instead.
 *
 * A session is bound to its opener's subject, and every POST is authorized by its own
 * token: the gate checks its batch size and scopes as on /mcp, and each call runs as the
 * principal of that POST (Caller.principalOf), so a narrower token of the same subject
 * cannot borrow the opener's scopes. The stream closes when the opener's token is no
 * longer accepted. Open streams are capped per principal and in total (StreamSlots).
 */
export function legacySseRoutes(
  router: Router,
  deps: {
    servers: TrinoMcpServer;
    authenticate: Middleware;
    streamable: (ctx: Context) => Promise<void>;
    gate: RpcGate;
    maxBodyBytes: number;
    limits: SseLimits;
  },
): Map<string, Session> {
  const sessions = new Map<string, Session>();
  const slots = new StreamSlots({ total: deps.limits.maxSseStreams, perUser: deps.limits.maxSseStreamsPerUser });
  router.get('/sse', deps.authenticate, async (ctx) => {
    if (ctx.get('Mcp-Protocol-Version')) return deps.streamable(ctx);
    const principal = principalOf(ctx);
    const slot = slots.acquire(principal.subject);
    if (!slot.ok) return refuseStream(ctx, slot.refusal, deps.limits);
    const controller = requestAbort(ctx);
    const transport = new LegacySseTransport(ctx.res, '/messages');
    const principals = new WeakMap<AuthInfo, Principal>();
    const server = deps.servers.create({
      principal,
      signal: controller.signal,
      principalOf: (c) => {
        const auth = c.http?.authInfo;
        return auth ? principals.get(auth) : undefined;
      },
    });
    sessions.set(transport.sessionId, { transport, subject: principal.subject, principals });
    let disarm: () => void = () => undefined;
    transport.onclose = () => {
      disarm();
      slot.release();
      sessions.delete(transport.sessionId);
      controller.abort(new Error('SSE stream closed'));
      void server.close().catch(() => undefined);
    };
    ctx.respond = false;
    try {
      await server.connect(transport);
    } catch (err) {
      await transport.close();
      throw err;
    }
    // Armed once the stream is open, unless the client went away meanwhile.
    if (sessions.has(transport.sessionId)) disarm = closeAtExpiry(principal.expiresAt, () => void transport.close());
  });
  router.post('/messages', deps.authenticate, async (ctx) => {
    const principal = principalOf(ctx);
    const session = sessions.get(String(ctx.query['sessionId']));
    if (!session || session.subject !== principal.subject) return refuse(ctx, 404, 'not_found', 'Unknown SSE session.');
    if (!/^application\/json\b/i.test(ctx.get('Content-Type'))) {
      return refuse(ctx, 415, 'unsupported_media_type', 'Content-Type must be application/json.');
    }
    const body = await readBody(ctx, deps.maxBodyBytes);
    if (!body) return;
    const messages = deps.gate(ctx, body, { strict: true });
    if (!messages) return;
    const auth: AuthInfo = { token: ctx.get('Authorization').replace(/^Bearer +/i, ''), clientId: principal.subject, scopes: [...principal.scopes] };
    session.principals.set(auth, principal);
    for (const message of messages) session.transport.receive(message as JSONRPCMessage, { authInfo: auth });
    ctx.status = 202;
    ctx.body = 'Accepted';
  });
  return sessions;
}
