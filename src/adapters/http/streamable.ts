import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { createMcpHandler, type AuthInfo } from '@modelcontextprotocol/server';
import { toNodeHandler, type NodeIncomingMessageLike } from '@modelcontextprotocol/node';
import type { Context } from 'koa';
import type { Logger } from '../../ports/logger.ts';
import type { Caller, TrinoMcpServer } from '../mcp/trino-mcp-server.ts';
import { principalOf } from './bearer-auth.ts';
import { requestAbort } from './guards.ts';
import { ListedTools } from './listed-tools.ts';
import { paramsOf, type RpcGate } from './rpc-gate.ts';

export interface StreamableSettings {
  readonly maxBodyBytes: number;
}

/**
 * Reads a request body up to `limit` bytes, and a little past it (the SDK then answers 413
 * from the size). A body that trickles in is cut by the server's request timeout (408).
 */
async function readBody(req: NodeJS.ReadableStream, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    chunks.push(chunk as Buffer);
    if (size > limit) break;
  }
  return Buffer.concat(chunks);
}

/** The request again, with a body already read: what toNodeHandler reads is the async iterator. */
function replay(req: IncomingMessage, body: Buffer, auth: AuthInfo): NodeIncomingMessageLike {
  return {
    method: req.method,
    url: req.url,
    headers: req.headers,
    auth,
    async *[Symbol.asyncIterator]() {
      yield body;
    },
  };
}

/**
 * Streamable HTTP (both protocol eras, one stateless server instance per request) at
 * /mcp and POST /sse. A plain tools/list is answered from the SDK's earlier answer for the
 * same tools and revision (ListedTools). Before the SDK sees a POST, its body is peeked at once for what the
 * SDK cannot do for a stateless server: the gate (batch size and scopes, shared with
 * /messages), and cancellation (see `calls`). The body is replayed unchanged, so the SDK
 * still answers bad JSON (-32700), a wrong Content-Type (415) and an oversized body (413).
 * A GET (the standalone SSE stream) is the SDK's: stateless, it answers 405, so no stream
 * stays open here.
 */
export function streamableEndpoint(deps: { servers: TrinoMcpServer; gate: RpcGate; settings: StreamableSettings; log: Logger }) {
  const { servers, gate, settings, log } = deps;
  // The caller of each request, found by the factory through the AuthInfo object the
  // edge hands the SDK (which passes it through untouched).
  const callers = new WeakMap<AuthInfo, Caller>();
  const handler = createMcpHandler(
    ({ authInfo }) => {
      const caller = authInfo && callers.get(authInfo);
      if (!caller) throw new Error('no caller for this request');
      return servers.create(caller);
    },
    { maxRequestBodySize: settings.maxBodyBytes, onerror: (err) => log.warn('mcp handler error', { error: err.message }) },
  );
  const listed = new ListedTools();
  /** The SDK's answer to a tools/list of `body` for this caller, with the request's media headers (see ListedTools). */
  const askSdk = (ctx: Context, body: string, principal: Caller['principal']) => {
    const auth: AuthInfo = { token: '', clientId: principal.subject, scopes: [...principal.scopes] };
    callers.set(auth, { principal, signal: new AbortController().signal });
    const headers: Record<string, string> = { 'content-type': ctx.get('Content-Type'), accept: ctx.get('Accept') };
    const version = ctx.get('Mcp-Protocol-Version');
    if (version) headers['mcp-protocol-version'] = version;
    return handler.fetch(new Request(`http://127.0.0.1${ctx.path}`, { method: 'POST', headers, body }), { authInfo: auth });
  };
  const nodeHandler = toNodeHandler(handler, {
    maxRequestBodySize: settings.maxBodyBytes,
    onerror: (err) => log.error('mcp adapter error', { error: err.message }),
  });

  /**
   * Tool calls in flight, by caller and JSON-RPC id. Over stateless HTTP a 2025-era
   * client's `notifications/cancelled` arrives in a request of its own, at a server
   * instance that never saw the call; this is how it finds the call to abort. It lives in
   * this replica's memory: a cancel that reaches another replica finds nothing.
   */
  const calls = new Map<string, AbortController>();
  // Keyed by the bearer token when there is one (two clients of one user hold different
  // tokens, so one cannot cancel the other's call), else by the user.
  const callKey = (ctx: Context, id: unknown) => {
    const header = ctx.get('Authorization');
    const who = header ? createHash('sha256').update(header).digest('base64url') : principalOf(ctx).subject;
    return `${who}\u0000${JSON.stringify(id)}`;
  };

  return async (ctx: Context): Promise<void> => {
    const principal = principalOf(ctx);
    const controller = requestAbort(ctx);
    const auth: AuthInfo = { token: ctx.get('Authorization').replace(/^Bearer +/i, ''), clientId: principal.subject, scopes: [...principal.scopes] };
    callers.set(auth, { principal, signal: controller.signal });
    let request: NodeIncomingMessageLike = Object.assign(ctx.req, { auth });
    if (ctx.method === 'POST') {
      const body = await readBody(ctx.req, settings.maxBodyBytes);
      const messages = gate(ctx, body, { strict: false });
      if (!messages) return;
      const listKey = listed.keyOf(ctx, body, messages, servers.toolsFor(principal).map((t) => t.name));
      if (listKey !== undefined) {
        if (await listed.replay(ctx, listKey, messages[0]!.id as string | number)) return;
        listed.record(listKey, (text) => askSdk(ctx, text, principal));
      }
      for (const m of messages) {
        if (m.method === 'notifications/cancelled') calls.get(callKey(ctx, paramsOf(m)['requestId']))?.abort(new Error('cancelled by the client'));
      }
      const keys = messages.filter((m) => m.method === 'tools/call' && m.id !== undefined).map((m) => callKey(ctx, m.id));
      for (const key of keys) calls.set(key, controller);
      ctx.res.once('close', () => {
        for (const key of keys) if (calls.get(key) === controller) calls.delete(key);
      });
      request = replay(ctx.req, body, auth);
    }
    ctx.respond = false;
    await nodeHandler(request, ctx.res);
  };
}
