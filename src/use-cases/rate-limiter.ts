import { DomainError } from '../domain/errors.ts';

/** Milliseconds since some fixed point; injected so tests move time instead of sleeping. */
export type Clock = () => number;

export interface RateLimits {
  /** RATE_LIMIT_PER_MINUTE: tokens a bucket regains per minute. */
  readonly perMinute: number;
  /** RATE_LIMIT_BURST: what a bucket holds when full, i.e. how many calls may come at once. */
  readonly burst: number;
  /**
   * Buckets kept at most (one of them the overflow bucket). Keys beyond it share that bucket, so a flood of new keys
   * (rotating client addresses) costs bounded memory and is itself limited, never waved through.
   */
  readonly maxKeys: number;
}

export type RateDecision = { readonly ok: true } | { readonly ok: false; readonly retryAfterMs: number };

interface Bucket {
  tokens: number;
  at: number;
}

/** The key the overflow bucket is kept under; no caller key can equal it (caller keys are prefixed). */
const OVERFLOW = '\u0000overflow';

/**
 * Token buckets by key: each key may spend `burst` at once and regains `perMinute` per
 * minute. Written here rather than taken from rate-limiter-flexible: its memory limiter
 * counts fixed windows (twice the points can pass across a window edge), keeps a timer per
 * key with no bound on the number of keys, and reads the wall clock; what is needed is a
 * true token bucket over a bounded map with an injected clock, which is these few lines.
 * The map is kept in order of last use, so the first entry is the one idle longest.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;

  constructor(
    private readonly limits: RateLimits,
    private readonly clock: Clock = () => performance.now(),
  ) {
    this.perMs = limits.perMinute / 60_000;
  }

  /** Spends `cost` tokens of `key`'s bucket, or says how long until it could. */
  take(key: string, cost = 1): RateDecision {
    const now = this.clock();
    const bucket = this.bucketFor(key, now);
    bucket.tokens = Math.min(this.limits.burst, bucket.tokens + (now - bucket.at) * this.perMs);
    bucket.at = now;
    if (bucket.tokens >= cost) {
      bucket.tokens -= cost;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.ceil((Math.min(cost, this.limits.burst) - bucket.tokens) / this.perMs) };
  }

  /** Whether `key` could spend `cost` now, without spending it (nor creating its bucket). */
  allows(key: string, cost = 1): boolean {
    const now = this.clock();
    const bucket = this.buckets.get(key) ?? (this.roomFor(now) ? undefined : this.buckets.get(OVERFLOW));
    const tokens = bucket ? Math.min(this.limits.burst, bucket.tokens + (now - bucket.at) * this.perMs) : this.limits.burst;
    return tokens >= cost;
  }

  /** Buckets held (the overflow bucket included). */
  get size(): number {
    return this.buckets.size;
  }

  private bucketFor(key: string, now: number): Bucket {
    const existing = this.buckets.get(key);
    if (existing) {
      // Move to the end: the map stays ordered by last use.
      this.buckets.delete(key);
      this.buckets.set(key, existing);
      return existing;
    }
    if (!this.hasRoom()) this.evictRefilled(now);
    const target = this.hasRoom() ? key : OVERFLOW;
    let bucket = this.buckets.get(target);
    if (!bucket) {
      bucket = { tokens: this.limits.burst, at: now };
      this.buckets.set(target, bucket);
    }
    return bucket;
  }

  /** Whether a new key would get a bucket of its own: there is room, or the longest-idle bucket has refilled. */
  private roomFor(now: number): boolean {
    return this.hasRoom() || this.longestIdleRefilled(now) !== undefined;
  }

  /** One place of the `maxKeys` is kept for the overflow bucket. */
  private hasRoom(): boolean {
    const own = this.buckets.size - (this.buckets.has(OVERFLOW) ? 1 : 0);
    return own < this.limits.maxKeys - 1;
  }

  private longestIdleRefilled(now: number): string | undefined {
    for (const [key, bucket] of this.buckets) {
      if (key === OVERFLOW) continue;
      return bucket.tokens + (now - bucket.at) * this.perMs >= this.limits.burst ? key : undefined;
    }
    return undefined;
  }

  /** Drops the longest-idle bucket when it has refilled: a full bucket is the same as none. */
  private evictRefilled(now: number): void {
    const key = this.longestIdleRefilled(now);
    if (key !== undefined) this.buckets.delete(key);
  }
}

/** The refusal of a call over its principal's rate: retryable, with the wait. */
export function rateLimited(retryAfterMs: number): DomainError {
  return new DomainError('RATE_LIMITED', `Rate limit reached; retry in ${Math.ceil(retryAfterMs / 1000)} s.`, { retryable: true, retryAfterMs });
}

/** The bucket key of a verified principal (prefixed: never equal to the key of a client address). */
export const principalKey = (subject: string): string => `sub:${subject}`;
