import { createHash } from 'node:crypto';
import type { Principal } from '../../domain/model.ts';
import type { TokenVerifier } from '../../ports/token-verifier.ts';

export interface TokenCacheSettings {
  /** Tokens remembered at most; past it the oldest is forgotten first. */
  readonly maxEntries: number;
  /** How long one verification is trusted, at most (and never past the token's own expiry). */
  readonly maxAgeMs: number;
  readonly now?: () => number;
}

/** 10,000 tokens, each for at most a minute: a key the provider withdraws stops being honoured within a minute. */
export const DEFAULT_TOKEN_CACHE: TokenCacheSettings = { maxEntries: 10_000, maxAgeMs: 60_000 };

/**
 * Remembers the principal of a token that passed verification, so that a client sending the
 * same bearer token with every request (all of them do) pays the signature check once a
 * minute instead of once a request: it was the largest cost of an authenticated request
 * after the MCP handler. Only successes are kept, under the SHA-256 of the token (the cache
 * holds no token), until the earlier of the token's expiry and `maxAgeMs`. A refusal is
 * never cached, so what a token is refused for is always the verifier's own answer.
 */
export class CachedTokenVerifier implements TokenVerifier {
  private readonly entries = new Map<string, { principal: Principal; until: number }>();
  private readonly now: () => number;

  constructor(
    private readonly inner: TokenVerifier,
    private readonly settings: TokenCacheSettings = DEFAULT_TOKEN_CACHE,
  ) {
    this.now = settings.now ?? Date.now;
  }

  async verify(token: string): Promise<Principal> {
    const key = createHash('sha256').update(token).digest('base64url');
    const hit = this.entries.get(key);
    const now = this.now();
    if (hit && now < hit.until) return hit.principal;
    if (hit) this.entries.delete(key);
    const principal = await this.inner.verify(token);
    const until = Math.min(principal.expiresAt ?? Infinity, this.now() + this.settings.maxAgeMs);
    if (this.entries.size >= this.settings.maxEntries) {
      // Map order is insertion order: the first is the oldest.
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { principal, until });
    return principal;
  }

  /** Tokens remembered now (tests). */
  get size(): number {
    return this.entries.size;
  }
}
