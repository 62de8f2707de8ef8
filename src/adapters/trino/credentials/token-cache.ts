/** A token and how long its issuer said it lasts. */
export interface IssuedToken {
  readonly token: string;
  /** Lifetime from the moment it was received, in ms. */
  readonly lifetimeMs: number;
}

interface Entry {
  readonly token: string;
  /** When to stop using it: shortly before it expires. */
  readonly refreshAt: number;
}

export interface TokenCacheOptions {
  readonly now?: () => number;
  /** Distinct keys kept; the oldest entry goes first beyond it. */
  readonly maxEntries?: number;
}

/**
 * The part of a token's lifetime that is not used: a token is replaced when this much of it
 * is left, so that a query started just before expiry does not reach Trino with a dead
 * token. A quarter of the lifetime, at most 60 s (tokens of a few seconds stay usable).
 */
export function refreshMargin(lifetimeMs: number): number {
  return Math.min(60_000, lifetimeMs / 4);
}

/**
 * Tokens by key (one for client credentials, one per subject for token exchange), each used
 * until shortly before it expires. Concurrent callers of one key share one request to the
 * authorization server; a failed request is not cached, so the next call tries again.
 */
export class TokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Map<string, Promise<string>>();
  private readonly now: () => number;
  private readonly maxEntries: number;

  constructor(options: TokenCacheOptions = {}) {
    this.now = options.now ?? Date.now;
    this.maxEntries = options.maxEntries ?? 10_000;
  }

  /** The cached token of `key`, or the one `issue` obtains (at most one `issue` per key at a time). */
  get(key: string, issue: () => Promise<IssuedToken>): Promise<string> {
    const entry = this.entries.get(key);
    if (entry && this.now() < entry.refreshAt) return Promise.resolve(entry.token);
    const inFlight = this.pending.get(key);
    if (inFlight) return inFlight;
    const request = (async () => {
      try {
        const issued = await issue();
        this.store(key, { token: issued.token, refreshAt: this.now() + issued.lifetimeMs - refreshMargin(issued.lifetimeMs) });
        return issued.token;
      } finally {
        this.pending.delete(key);
      }
    })();
    this.pending.set(key, request);
    return request;
  }

  /** Forgets `token` of `key` (Trino refused it); a newer token of the same key stays. */
  drop(key: string, token: string): void {
    if (this.entries.get(key)?.token === token) this.entries.delete(key);
  }

  /** Entries held, for tests of the bound. */
  get size(): number {
    return this.entries.size;
  }

  private store(key: string, entry: Entry): void {
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      const now = this.now();
      for (const [k, e] of this.entries) if (e.refreshAt <= now) this.entries.delete(k);
      while (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    }
    this.entries.set(key, entry);
  }
}
