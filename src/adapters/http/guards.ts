import { randomUUID } from 'node:crypto';
import cors from '@koa/cors';
import type { Context, Middleware, Next } from 'koa';
import helmet from 'koa-helmet';
import { isLoopbackHost } from '../../domain/loopback.ts';
import type { Logger } from '../../ports/logger.ts';
import type { Inflight } from '../lifecycle/inflight.ts';

export interface GuardSettings {
  readonly resourceUrl: string;
  /** Bound to a loopback address (config's isLoopbackHost of MCP_HOST). */
  readonly loopback: boolean;
  readonly allowedOrigins: readonly string[];
  readonly trustProxy: boolean;
}

/** Nothing internal reaches the client: a failure becomes "internal error (ref …)", details only in the log. */
export function errorBoundary(log: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      // A body cut off by the client or by the request timeout is the client's doing, not a fault here.
      if (ctx.req.destroyed && (err as NodeJS.ErrnoException).code === 'ECONNRESET') {
        log.info('request aborted before its body arrived', { path: ctx.path });
        return;
      }
      const ref = randomUUID().slice(0, 8);
      log.error('http request failed', { ref, path: ctx.path, error: (err as Error).message });
      if (ctx.headerSent || !ctx.writable) return;
      ctx.status = 500;
      ctx.body = { error: 'internal_error', error_description: `internal error (ref ${ref})` };
    }
  };
}

export function securityHeaders(resourceUrl: string): Middleware {
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    strictTransportSecurity: new URL(resourceUrl).protocol === 'https:' ? { maxAge: 31_536_000 } : false,
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
}

/** The hostname of a Host header (`host[:port]`, `[v6][:port]`), or undefined when it is not one. */
function hostnameOf(host: string): string | undefined {
  if (!host || /[/@?#\s]/.test(host)) return undefined;
  try {
    return new URL(`http://${host}`).hostname;
  } catch {
    return undefined;
  }
}

function forbidden(ctx: Context, description: string): void {
  ctx.status = 403;
  ctx.body = { error: 'forbidden', error_description: description };
}

/**
 * DNS rebinding protection. On loopback (and not behind a proxy) the Host must name a
 * loopback host; an Origin, when a browser sends one, must be allowed (MCP_ALLOWED_ORIGINS,
 * or any loopback origin when bound to loopback). Loopback is the domain's one
 * definition (isLoopbackHost), the same that config applied to MCP_HOST. The SDK's
 * validateHostHeader/validateOriginHeader take fixed hostname lists and cannot express
 * 127.0.0.0/8, so the headers are parsed here.
 */
export function hostAndOriginGuard(settings: GuardSettings): Middleware {
  const originAllowed = (origin: string): boolean => {
    if (settings.allowedOrigins.includes(origin)) return true;
    if (!settings.loopback || !URL.canParse(origin)) return false;
    return isLoopbackHost(new URL(origin).hostname);
  };
  return async (ctx: Context, next: Next) => {
    if (settings.loopback && !settings.trustProxy) {
      const hostname = hostnameOf(ctx.get('Host'));
      if (!hostname || !isLoopbackHost(hostname)) return forbidden(ctx, 'Host not allowed.');
    }
    const origin = ctx.get('Origin');
    if (origin && !originAllowed(origin)) return forbidden(ctx, 'Origin not allowed.');
    await next();
  };
}

/** CORS for allowed origins only (the guard has refused the others). */
export function corsForAllowedOrigins(): Middleware {
  return cors({
    origin: (ctx) => ctx.get('Origin'),
    allowMethods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
    allowHeaders: ['Authorization', 'Content-Type', 'Accept', 'Mcp-Session-Id', 'Mcp-Protocol-Version', 'Mcp-Method', 'Mcp-Name', 'Last-Event-ID', 'traceparent', 'tracestate'],
    exposeHeaders: ['Mcp-Session-Id', 'WWW-Authenticate'],
    maxAge: 600,
  });
}

/**
 * Tracks each request in flight for graceful shutdown, with an abort controller in
 * `ctx.state.abort`. Legacy clients over stateless HTTP never cancel: a response closed
 * before it was finished means nobody will read the result, so the work is aborted and
 * its Trino query cancelled.
 */
export function trackInflight(inflight: Inflight): Middleware {
  return async (ctx, next) => {
    const { controller, done } = inflight.track();
    ctx.state['abort'] = controller;
    ctx.res.once('close', () => {
      if (!ctx.res.writableFinished) controller.abort(new Error('client went away'));
      done();
    });
    try {
      await next();
    } finally {
      if (ctx.respond !== false) done();
    }
  };
}

/** The abort controller trackInflight gave this request. */
export function requestAbort(ctx: Context): AbortController {
  return ctx.state['abort'] as AbortController;
}
