import type { Context, Middleware } from 'koa';
import { principalKey, RateLimiter, type Clock, type RateLimits } from '../../use-cases/rate-limiter.ts';
import { principalOf } from './bearer-auth.ts';

/** Buckets kept per limiter: beyond it new keys share one bucket (see RateLimiter). */
const MAX_KEYS = 10_000;

/**
 * The two limits of the HTTP edge. `calls`: per verified principal, one token per JSON-RPC
 * message, checked by the gate before any message runs. `failedAuth`: per client address,
 * one token per request whose authentication failed, so that a client guessing or rotating
 * tokens is slowed down before its tokens are even verified. Neither is ever keyed by a
 * token: an unverified token names nobody, and rotating it must not make new buckets.
 */
export class HttpRateLimits {
  private readonly calls: RateLimiter;
  private readonly failedAuth: RateLimiter;

  constructor(limits: Omit<RateLimits, 'maxKeys'>, clock?: Clock) {
    this.calls = new RateLimiter({ ...limits, maxKeys: MAX_KEYS }, clock);
    this.failedAuth = new RateLimiter({ ...limits, maxKeys: MAX_KEYS }, clock);
  }

  /** Spends `cost` of this request's principal; answers 429 and returns false when it cannot. */
  spend(ctx: Context, cost: number): boolean {
    const decision = this.calls.take(principalKey(principalOf(ctx).subject), cost);
    if (decision.ok) return true;
    tooManyRequests(ctx, decision.retryAfterMs, 'Too many calls from this principal (RATE_LIMIT_PER_MINUTE, RATE_LIMIT_BURST).');
    return false;
  }

  /** Wraps authentication: an address whose recent failures spent its bucket gets 429 before any verification. */
  guardAuthentication(authenticate: Middleware): Middleware {
    return async (ctx, next) => {
      const key = `ip:${ctx.ip}`;
      if (!this.failedAuth.allows(key)) {
        const decision = this.failedAuth.take(key);
        if (!decision.ok) return tooManyRequests(ctx, decision.retryAfterMs, 'Too many failed authentications from this address; retry later.');
      }
      let authenticated = false;
      await authenticate(ctx, async () => {
        authenticated = true;
        await next();
      });
      // An identity provider that is down (503) is no failure of the client's.
      if (!authenticated && ctx.status !== 503) this.failedAuth.take(key);
    };
  }
}

/** RFC 6585 §4: 429 with Retry-After (RFC 9110 §10.2.3, whole seconds, at least 1). */
function tooManyRequests(ctx: Context, retryAfterMs: number, description: string): void {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  ctx.status = 429;
  ctx.set('Retry-After', String(seconds));
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { error: 'rate_limited', error_description: description, retry_after: seconds };
}
