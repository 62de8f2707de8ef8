import { describe, expect, it } from 'vitest';
import { CachedTokenVerifier } from '../../src/adapters/auth/cached-token-verifier.ts';
import type { Principal } from '../../src/domain/model.ts';
import { TokenVerificationError, type TokenVerifier } from '../../src/ports/token-verifier.ts';

/** A verifier that accepts tokens named `ok:<subject>:<expiresAt>` and counts its checks. */
class CountingVerifier implements TokenVerifier {
  checks = 0;
  async verify(token: string): Promise<Principal> {
    this.checks += 1;
    const [kind, subject, expiresAt] = token.split(':');
    if (kind !== 'ok') throw new TokenVerificationError('invalid_token', 'The token signature is invalid.');
    return { subject: subject!, scopes: [], via: 'http', expiresAt: Number(expiresAt) };
  }
}

function setup(settings: { maxEntries?: number; maxAgeMs?: number } = {}) {
  let now = 1_000;
  const inner = new CountingVerifier();
  const cache = new CachedTokenVerifier(inner, { maxEntries: settings.maxEntries ?? 100, maxAgeMs: settings.maxAgeMs ?? 60_000, now: () => now });
  return { inner, cache, advance: (ms: number) => (now += ms) };
}

describe('CachedTokenVerifier', () => {
  it('checks a token once, then answers from memory with the same principal', async () => {
    const { inner, cache } = setup();
    const first = await cache.verify('ok:alice:999999');
    const again = await cache.verify('ok:alice:999999');
    expect(again).toEqual(first);
    expect(again.subject).toBe('alice');
    expect(inner.checks).toBe(1);
  });

  it('never remembers a refusal: each one is the verifier\'s own answer', async () => {
    const { inner, cache } = setup();
    await expect(cache.verify('bad:mallory:1')).rejects.toThrow('signature is invalid');
    await expect(cache.verify('bad:mallory:1')).rejects.toThrow('signature is invalid');
    expect(inner.checks).toBe(2);
    expect(cache.size).toBe(0);
  });

  it('asks the verifier again once the token has expired (which then refuses it)', async () => {
    const { inner, cache, advance } = setup();
    await cache.verify('ok:alice:5000');
    advance(3_000); // now 4000 < 5000
    await cache.verify('ok:alice:5000');
    expect(inner.checks).toBe(1);
    advance(1_000); // now 5000: expired
    await cache.verify('ok:alice:5000');
    expect(inner.checks).toBe(2);
  });

  it('trusts a verification for at most maxAgeMs, however long the token lives', async () => {
    const { inner, cache, advance } = setup({ maxAgeMs: 10_000 });
    await cache.verify('ok:alice:99999999');
    advance(9_999);
    await cache.verify('ok:alice:99999999');
    expect(inner.checks).toBe(1);
    advance(1);
    await cache.verify('ok:alice:99999999');
    expect(inner.checks).toBe(2);
  });

  it('holds at most maxEntries tokens, forgetting the oldest first', async () => {
    const { inner, cache } = setup({ maxEntries: 3 });
    for (const who of ['a', 'b', 'c', 'd']) await cache.verify(`ok:${who}:99999999`);
    expect(cache.size).toBe(3);
    await cache.verify('ok:d:99999999');
    await cache.verify('ok:b:99999999');
    expect(inner.checks).toBe(4);
    await cache.verify('ok:a:99999999'); // the oldest was forgotten: checked again
    expect(inner.checks).toBe(5);
    expect(cache.size).toBe(3);
  });

  it('keeps tokens apart: two tokens of one user are two entries, a different token is checked', async () => {
    const { inner, cache } = setup();
    await cache.verify('ok:alice:99999999');
    await cache.verify('ok:alice:99999998');
    expect(inner.checks).toBe(2);
  });
});
