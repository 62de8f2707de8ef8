import { createHash, randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import cors from '@koa/cors';
import Router from '@koa/router';
import { createMcpHandler, type AuthInfo, type JSONRPCMessage, type ServerContext } from '@modelcontextprotocol/server';
import { toNodeHandler, type NodeIncomingMessageLike } from '@modelcontextprotocol/node';
import Koa, { type Context, type Next } from 'koa';
import helmet from 'koa-helmet';
import type { Principal } from '../../domain/model.ts';
import type { Logger } from '../../ports/logger.ts';
import type { TokenVerifier } from '../../ports/token-verifier.ts';
import type { TrinoMcpServer } from '../mcp/trino-mcp-server.ts';
import { bearerAuth, insufficientScope, providerUnavailable } from './bearer-auth.ts';
import { LegacySseTransport } from './legacy-sse.ts';

export interface HttpSettings {
  /** Canonical URL of /mcp (MCP_URL): the RFC 8707 resource. */
  readonly resourceUrl: string;
  readonly loopback: boolean;
  readonly allowedOrigins: readonly string[];
  readonly trustProxy: boolean;
  readonly maxBodyBytes: number;
  readonly version: string;
  /** TRINO_ALLOW_WRITE_QUERIES: execute_statement exists. */
  readonly writesEnabled: boolean;
}

export interface HttpAuth {
  readonly verifier: TokenVerifier;
  readonly requiredScopes: readonly string[];
  /** OAUTH_WRITE_SCOPE: needed for execute_statement. */
  readonly writeScope?: string | undefined;
  readonly scopesSupported: readonly string[];
  /** Issuer(s) listed as authorization_servers in the resource metadata. */
  readonly authorizationServers: readonly string[];
  /** The provider's own metadata document, proxied for 2025-03-26 clients (undefined: 404). */
  readonly providerMetadata: () => Promise<Record<string, unknown> | undefined>;
}

/** Per-request data the MCP tools read back from `ctx.http.authInfo.extra`. */
interface RequestExtra {
  readonly principal: Principal;
  readonly signal: AbortSignal;
}

const ANONYMOUS: Principal = { subject: 'anonymous', scopes: [], via: 'http' };
const LOOPBACK_HOSTNAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

function extraOf(ctx: ServerContext): RequestExtra | undefined {
  return ctx.http?.authInfo?.extra as RequestExtra | undefined;
}

/** Requests in flight and their abort controllers, for graceful shutdown. */
export class InflightRequests {
  private readonly controllers = new Set<AbortController>();
  private count = 0;
  private idle: (() => void) | undefined;

  track(): { controller: AbortController; done: () => void } {
    const controller = new AbortController();
    this.controllers.add(controller);
    this.count++;
    let finished = false;
    return {
      controller,
      done: () => {
        if (finished) return;
        finished = true;
        this.controllers.delete(controller);
        this.count--;
        if (this.count === 0) this.idle?.();
      },
    };
  }

  get size(): number {
    return this.count;
  }

  /** Resolves when nothing is in flight, or after `ms`; returns whether it drained. */
  async drain(ms: number): Promise<boolean> {
    if (this.count === 0) return true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.idle = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  }

  abortAll(reason: string): void {
    for (const c of this.controllers) c.abort(new Error(reason));
  }
}

function metadataPathFor(resourceUrl: string): string {
  const path = new URL(resourceUrl).pathname.replace(/\/$/, '');
  return `/.well-known/oauth-protected-resource${path === '' ? '' : path}`;
}

/**
 * The Koa application: streamable HTTP at /mcp (both protocol eras, stateless), the
 * same at POST /sse, the 2024-11-05 SSE transport at GET /sse + POST /messages, RFC 9728
 * metadata, the provider's metadata proxied, and /status. No body parser sits in front
 * of the MCP routes: the SDK answers malformed JSON (-32700), a wrong Content-Type (415)
 * and an oversized body (413) itself.
 */
export function createHttpApp(deps: {
  settings: HttpSettings;
  servers: TrinoMcpServer;
  auth?: HttpAuth | undefined;
  log: Logger;
  inflight: InflightRequests;
}) {
  const { settings, servers, auth, log, inflight } = deps;
  const app = new Koa({ proxy: settings.trustProxy });
  const router = new Router();
  const resource = new URL(settings.resourceUrl);
  const sseResource = new URL('/sse', resource).href;

  // --- errors: nothing internal reaches the client
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const ref = randomUUID().slice(0, 8);
      log.error('http request failed', { ref, path: ctx.path, error: (err as Error).message });
      if (ctx.headerSent || !ctx.writable) return;
      ctx.status = 500;
      ctx.body = { error: 'internal_error', error_description: `internal error (ref ${ref})` };
    }
  });

  // --- security headers
  app.use(
    helmet({
      contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
      strictTransportSecurity: resource.protocol === 'https:' ? { maxAge: 31_536_000 } : false,
      crossOriginResourcePolicy: { policy: 'same-origin' },
    }),
  );

  // --- DNS rebinding protection: Host (on loopback) and Origin
  const originAllowed = (origin: string): boolean => {
    if (settings.allowedOrigins.includes(origin)) return true;
    if (!settings.loopback) return false;
    try {
      return LOOPBACK_HOSTNAMES.has(new URL(origin).hostname);
    } catch {
      return false;
    }
  };
  app.use(async (ctx, next) => {
    if (settings.loopback && !settings.trustProxy) {
      const hostname = (ctx.get('Host') || '').replace(/:\d+$/, '').toLowerCase();
      if (!LOOPBACK_HOSTNAMES.has(hostname)) {
        ctx.status = 403;
        ctx.body = { error: 'forbidden', error_description: 'Host not allowed.' };
        return;
      }
    }
    const origin = ctx.get('Origin');
    if (origin && !originAllowed(origin)) {
      ctx.status = 403;
      ctx.body = { error: 'forbidden', error_description: 'Origin not allowed.' };
      return;
    }
    await next();
  });

  // --- CORS, for allowed origins only (the guard above refused the others)
  app.use(
    cors({
      origin: (ctx) => ctx.get('Origin'),
      allowMethods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
      allowHeaders: ['Authorization', 'Content-Type', 'Accept', 'Mcp-Session-Id', 'Mcp-Protocol-Version', 'Mcp-Method', 'Mcp-Name', 'Last-Event-ID'],
      exposeHeaders: ['Mcp-Session-Id', 'WWW-Authenticate'],
      maxAge: 600,
    }),
  );

  // --- in-flight tracking for graceful shutdown
  app.use(async (ctx, next) => {
    const { controller, done } = inflight.track();
    ctx.state['abort'] = controller;
    // Legacy clients over stateless HTTP never cancel: a response closed before it was
    // finished means nobody will read the result, so the Trino query is cancelled.
    ctx.res.once('close', () => {
      if (!ctx.res.writableFinished) controller.abort(new Error('client went away'));
      done();
    });
    try {
      await next();
    } finally {
      if (ctx.respond !== false) done();
    }
  });

  // --- public endpoints
  router.get(['/status', '/healthz'], (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok', version: settings.version };
  });

  const metadataPaths = new Set(['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp', metadataPathFor(settings.resourceUrl)]);
  const ssePaths = new Set(['/.well-known/oauth-protected-resource/sse']);
  if (auth) {
    const metadata = (res: string) => ({
      resource: res,
      authorization_servers: auth.authorizationServers,
      scopes_supported: auth.scopesSupported,
      bearer_methods_supported: ['header'],
      resource_name: 'trino-mcp',
    });
    router.get([...metadataPaths], (ctx) => {
      ctx.set('Cache-Control', 'public, max-age=300');
      ctx.body = metadata(settings.resourceUrl);
    });
    router.get([...ssePaths], (ctx) => {
      ctx.set('Cache-Control', 'public, max-age=300');
      ctx.body = metadata(sseResource);
    });
    router.get(['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'], async (ctx) => {
      let doc: Record<string, unknown> | undefined;
      try {
        doc = await auth.providerMetadata();
      } catch (err) {
        log.warn('identity provider metadata unavailable', { error: (err as Error).message });
        providerUnavailable(ctx);
        return;
      }
      if (!doc) {
        ctx.status = 404;
        ctx.body = { error: 'not_found', error_description: 'This server delegates to its authorization server; see /.well-known/oauth-protected-resource.' };
        return;
      }
      ctx.set('Cache-Control', 'public, max-age=300');
      ctx.body = doc;
    });
  }

  // --- authentication for the MCP routes
  const origin = (ctx: Context) => (settings.trustProxy ? ctx.origin : resource.origin);
  const metadataUrl = (ctx: Context) =>
    ctx.path === '/sse' || ctx.path === '/messages'
      ? `${origin(ctx)}/.well-known/oauth-protected-resource/sse`
      : `${origin(ctx)}${metadataPathFor(settings.resourceUrl)}`;
  /** Whether the caller may use execute_statement (OAUTH_WRITE_SCOPE, when set). */
  const mayWrite = (p: Principal) => settings.writesEnabled && (!auth?.writeScope || p.scopes.includes(auth.writeScope));
  const authenticate = auth
    ? bearerAuth({
        verifier: auth.verifier,
        requiredScopes: auth.requiredScopes,
        resourceMetadataUrl: metadataUrl,
        log,
      })
    : async (ctx: Context, next: Next) => {
        ctx.state['principal'] = ANONYMOUS;
        await next();
      };

  const authInfo = (ctx: Context): AuthInfo => {
    const principal = ctx.state['principal'] as Principal;
    const extra: RequestExtra = { principal, signal: (ctx.state['abort'] as AbortController).signal };
    const header = ctx.get('Authorization');
    return {
      token: header.replace(/^Bearer +/i, ''),
      clientId: principal.subject,
      scopes: [...principal.scopes],
      extra: extra as unknown as Record<string, unknown>,
    };
  };

  // --- streamable HTTP (both eras)
  const handler = createMcpHandler(
    (request) => {
      // Each request gets its own server, listing only the tools this caller may call.
      const principal = (request.authInfo?.extra as RequestExtra | undefined)?.principal ?? ANONYMOUS;
      return servers.create(
        (ctx) => extraOf(ctx)?.principal ?? ANONYMOUS,
        (ctx) => extraOf(ctx)?.signal,
        { writeTools: mayWrite(principal) },
      );
    },
    { maxRequestBodySize: settings.maxBodyBytes, onerror: (err) => log.warn('mcp handler error', { error: err.message }) },
  );
  const nodeHandler = toNodeHandler(handler, {
    maxRequestBodySize: settings.maxBodyBytes,
    onerror: (err) => log.error('mcp adapter error', { error: err.message }),
  });
  /**
   * Tool calls in flight, by caller and JSON-RPC id. Over stateless HTTP a 2025-era
   * client's `notifications/cancelled` arrives in a request of its own, at a server
   * instance that never saw the call; this is how it finds the call to abort.
   */
  const calls = new Map<string, AbortController>();
  // Keyed by the bearer token when there is one (two clients of one user hold different
  // tokens, so one cannot cancel the other's call), else by the user.
  const callKey = (ctx: Context, id: unknown) => {
    const header = ctx.get('Authorization');
    const who = header ? createHash('sha256').update(header).digest('base64url') : (ctx.state['principal'] as Principal).subject;
    return `${who}\u0000${JSON.stringify(id)}`;
  };

  const serveMcp = async (ctx: Context) => {
    const principal = ctx.state['principal'] as Principal;
    let request: NodeIncomingMessageLike = ctx.req as unknown as NodeIncomingMessageLike;
    if (ctx.method === 'POST') {
      // The body is read once here and replayed to the SDK unchanged: it still answers bad
      // JSON (-32700), a wrong Content-Type (415) and an oversized body (413) itself.
      const body = (await readBody(ctx.req, settings.maxBodyBytes)) ?? Buffer.alloc(0);
      const messages = jsonRpcMessages(body);
      if (settings.writesEnabled && auth?.writeScope && !mayWrite(principal) && messages.some((m) => isToolCall(m, 'execute_statement'))) {
        // The tool is not offered to this caller; a call to it gets the scope challenge
        // that lets the client ask for more.
        insufficientScope(ctx, [...auth.requiredScopes, auth.writeScope], metadataUrl(ctx), `execute_statement needs the scope ${auth.writeScope}.`);
        return;
      }
      for (const m of messages) {
        if (m.method === 'notifications/cancelled') {
          const requestId = (m.params as { requestId?: unknown } | undefined)?.requestId;
          calls.get(callKey(ctx, requestId))?.abort(new Error('cancelled by the client'));
        }
      }
      const controller = ctx.state['abort'] as AbortController;
      const keys = messages.filter((m) => m.method === 'tools/call' && m.id !== undefined).map((m) => callKey(ctx, m.id));
      for (const key of keys) calls.set(key, controller);
      ctx.res.once('close', () => {
        for (const key of keys) if (calls.get(key) === controller) calls.delete(key);
      });
      request = replay(ctx.req, body);
    }
    (request as { auth?: AuthInfo }).auth = authInfo(ctx);
    ctx.respond = false;
    await nodeHandler(request, ctx.res);
  };
  router.all('/mcp', authenticate, serveMcp);
  router.post('/sse', authenticate, serveMcp);

  // --- 2024-11-05 HTTP+SSE: GET /sse opens the stream, POST /messages?sessionId= carries requests
  const sessions = new Map<string, { transport: LegacySseTransport; subject: string }>();
  router.get('/sse', authenticate, async (ctx) => {
    if (ctx.get('Mcp-Protocol-Version')) {
      // A streamable-HTTP client opening its GET stream: that is the stateless handler's to answer.
      await serveMcp(ctx);
      return;
    }
    const principal = ctx.state['principal'] as Principal;
    const transport = new LegacySseTransport(ctx.res, '/messages');
    const controller = ctx.state['abort'] as AbortController;
    const server = servers.create(() => principal, () => controller.signal, { writeTools: mayWrite(principal) });
    sessions.set(transport.sessionId, { transport, subject: principal.subject });
    transport.onclose = () => {
      sessions.delete(transport.sessionId);
      controller.abort(new Error('SSE stream closed'));
      void server.close().catch(() => undefined);
    };
    ctx.respond = false;
    await server.connect(transport);
  });
  router.post('/messages', authenticate, async (ctx) => {
    const session = sessions.get(ctx.query['sessionId'] as string);
    const principal = ctx.state['principal'] as Principal;
    if (!session || session.subject !== principal.subject) {
      ctx.status = 404;
      ctx.body = { error: 'not_found', error_description: 'Unknown SSE session.' };
      return;
    }
    if (!/^application\/json\b/i.test(ctx.get('Content-Type'))) {
      ctx.status = 415;
      ctx.body = { error: 'unsupported_media_type', error_description: 'Content-Type must be application/json.' };
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of ctx.req) {
      size += (chunk as Buffer).length;
      if (size > settings.maxBodyBytes) {
        ctx.status = 413;
        ctx.body = { error: 'payload_too_large', error_description: `The body exceeds ${settings.maxBodyBytes} bytes.` };
        return;
      }
      chunks.push(chunk as Buffer);
    }
    let message: JSONRPCMessage;
    try {
      message = JSON.parse(Buffer.concat(chunks).toString('utf8')) as JSONRPCMessage;
    } catch {
      ctx.status = 400;
      ctx.body = { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } };
      return;
    }
    session.transport.receive(message, authInfo(ctx));
    ctx.status = 202;
    ctx.body = 'Accepted';
  });

  app.use(router.routes());
  app.use(router.allowedMethods());
  return { app, sessions };
}

/** Reads a request body up to `limit` bytes; undefined when it is larger (the SDK then answers 413). */
async function readBody(req: NodeJS.ReadableStream, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    chunks.push(chunk as Buffer);
    if (size > limit) return Buffer.concat(chunks); // replayed as is: the SDK sees the size
  }
  return Buffer.concat(chunks);
}

interface RpcMessage {
  readonly method?: unknown;
  readonly id?: unknown;
  readonly params?: unknown;
}

/** The JSON-RPC messages of a body (one message or a batch); none when it is not JSON. */
function jsonRpcMessages(body: Buffer): RpcMessage[] {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as unknown;
    const list = Array.isArray(parsed) ? parsed : [parsed];
    return list.filter((m): m is RpcMessage => typeof m === 'object' && m !== null);
  } catch {
    return [];
  }
}

function isToolCall(m: RpcMessage, tool: string): boolean {
  return m.method === 'tools/call' && (m.params as { name?: unknown } | undefined)?.name === tool;
}

/** The request again, with a body already read: what toNodeHandler reads is the async iterator. */
function replay(req: IncomingMessage, body: Buffer): NodeIncomingMessageLike {
  return {
    method: req.method,
    url: req.url,
    headers: req.headers,
    async *[Symbol.asyncIterator]() {
      yield body;
    },
  } as unknown as NodeIncomingMessageLike;
}

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
 * Graceful shutdown: stop accepting, let in-flight requests finish for up to `graceMs`,
 * then abort the rest (their Trino queries are cancelled and their responses end with
 * CANCELLED), give them a moment to flush, and close every connection.
 */
export async function shutdown(server: Server, inflight: InflightRequests, graceMs: number, log: Logger): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const drained = await inflight.drain(graceMs);
  if (!drained) {
    log.warn('aborting requests still in flight after the grace period', { requests: inflight.size, graceMs });
    inflight.abortAll('server shutting down');
    await inflight.drain(5_000);
  }
  server.closeAllConnections();
  await closed;
}
