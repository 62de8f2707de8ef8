import 'reflect-metadata';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { Access } from '../../src/domain/access.ts';
import { RateLimiter, type RateLimits } from '../../src/use-cases/rate-limiter.ts';
import { FakeQueryPolicy } from '../fakes/fake-query-policy.ts';
import { InMemoryQueryEngine } from '../fakes/in-memory-query-engine.ts';
import { errors, ok } from './support/config.ts';
import { mcpServerOver, unitSettings, useCasesOver } from './support/mcp-server.ts';

/** A limiter on a clock the test moves. */
function limiter(limits: Partial<RateLimits> = {}) {
  let now = 0;
  const l = new RateLimiter({ perMinute: 60, burst: 3, maxKeys: 100, ...limits }, () => now);
  return { l, advance: (ms: number) => (now += ms) };
}

describe('RateLimiter: a token bucket per key', () => {
  it('lets a burst through, then refuses with the wait for one token', () => {
    const { l } = limiter();
    expect([l.take('a'), l.take('a'), l.take('a')].every((d) => d.ok)).toBe(true);
    expect(l.take('a')).toEqual({ ok: false, retryAfterMs: 1000 });
  });

  it('refills at the rate: one token per second at 60 per minute, never beyond the burst', () => {
    const { l, advance } = limiter();
    for (let i = 0; i < 3; i++) l.take('a');
    advance(999);
    expect(l.take('a').ok).toBe(false);
    advance(1);
    expect(l.take('a').ok).toBe(true);
    advance(3_600_000);
    expect([1, 2, 3].map(() => l.take('a').ok)).toEqual([true, true, true]);
    expect(l.take('a').ok).toBe(false);
  });

  it('keys are independent', () => {
    const { l } = limiter({ burst: 1 });
    expect(l.take('a').ok).toBe(true);
    expect(l.take('a').ok).toBe(false);
    expect(l.take('b').ok).toBe(true);
  });

  it('a cost of several tokens (a batch) spends them all or none', () => {
    const { l } = limiter({ burst: 5 });
    expect(l.take('a', 4).ok).toBe(true);
    expect(l.take('a', 2)).toEqual({ ok: false, retryAfterMs: 1000 });
    expect(l.take('a', 1).ok).toBe(true);
  });

  it('allows() tells without spending or creating a bucket', () => {
    const { l } = limiter({ burst: 1 });
    expect(l.allows('a')).toBe(true);
    expect(l.size).toBe(0);
    l.take('a');
    expect(l.allows('a')).toBe(false);
    expect(l.size).toBe(1);
  });

  it('rotating keys cannot grow the map past maxKeys, nor escape the limit: new keys share one overflow bucket', () => {
    const { l } = limiter({ maxKeys: 10, burst: 2 });
    let passed = 0;
    for (let i = 0; i < 10_000; i++) if (l.take(`attacker-${i}`).ok) passed += 1;
    expect(l.size).toBeLessThanOrEqual(10);
    // 9 keys of their own (one call each), then the overflow bucket's 2: not 10,000.
    expect(passed).toBe(9 + 2);
    expect(l.allows('newcomer')).toBe(false);
  });

  it('a refilled (idle) bucket gives its place to a new key', () => {
    const { l, advance } = limiter({ maxKeys: 2, burst: 1 });
    l.take('a');
    l.take('b');
    advance(1000);
    expect(l.take('c').ok).toBe(true);
    expect(l.size).toBe(2);
    // 'a' was evicted full: it starts full again, as it would have been.
    expect(l.take('a').ok).toBe(true);
  });
});

describe('RATE_LIMIT_PER_MINUTE and RATE_LIMIT_BURST', () => {
  it('are on by default over HTTP: 600 per minute, bursts of 60; off by default over stdio', () => {
    expect(ok({ MCP_TRANSPORT: 'http' }).rateLimit).toEqual({ perMinute: 600, burst: 60 });
    expect(ok({}).rateLimit).toBeUndefined();
    expect(ok({ RATE_LIMIT_PER_MINUTE: '30', RATE_LIMIT_BURST: '5' }).rateLimit).toEqual({ perMinute: 30, burst: 5 });
  });

  it('RATE_LIMIT_PER_MINUTE=0 turns rate limiting off', () => {
    expect(ok({ MCP_TRANSPORT: 'http', RATE_LIMIT_PER_MINUTE: '0' }).rateLimit).toBeUndefined();
  });

  it('refuses bad values with one line naming the variable', () => {
    expect(errors({ RATE_LIMIT_PER_MINUTE: '-1' })).toEqual(['RATE_LIMIT_PER_MINUTE must be a whole number from 0 to 1000000']);
    expect(errors({ RATE_LIMIT_BURST: '0' })).toEqual(['RATE_LIMIT_BURST must be a whole number from 1 to 1000000']);
  });

  it('over HTTP, a burst below MCP_MAX_BATCH_SIZE is refused (a full batch could never pass)', () => {
    const lines = errors({ MCP_TRANSPORT: 'http', RATE_LIMIT_BURST: '10', MCP_MAX_BATCH_SIZE: '20' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^RATE_LIMIT_BURST: /);
    expect(ok({ MCP_TRANSPORT: 'http', RATE_LIMIT_BURST: '10', MCP_MAX_BATCH_SIZE: '10' }).rateLimit?.burst).toBe(10);
  });
});

describe('the MCP edge with a rate limit (stdio)', () => {
  it('a call past the burst is a retryable RATE_LIMITED tool error with the wait; it never reaches Trino', async () => {
    let now = 0;
    const rateLimit = new RateLimiter({ perMinute: 6, burst: 2, maxKeys: 1 }, () => now);
    const engine = new InMemoryQueryEngine();
    const settings = unitSettings();
    const servers = mcpServerOver({ useCases: useCasesOver(engine, settings, new FakeQueryPolicy()), settings, access: new Access({ allowWrites: false, requiredScopes: [] }) });
    const server = servers.create({ principal: { subject: 'operator', scopes: [], via: 'stdio' }, rateLimit });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(a);
    const client = new Client({ name: 't', version: '0' });
    await client.connect(b);
    try {
      // Whatever the fake engine answers, a call that passed the limit reached it.
      const call = () => client.callTool({ name: 'execute_query', arguments: { sql: 'SELECT 1' } });
      const codeOf = (r: Awaited<ReturnType<typeof call>>) => (r.structuredContent as { code?: string } | undefined)?.code;
      expect(codeOf(await call())).not.toBe('RATE_LIMITED');
      expect(codeOf(await call())).not.toBe('RATE_LIMITED');
      expect(engine.calls.length).toBe(2);
      const refused = await call();
      expect(refused.isError).toBe(true);
      expect(refused.structuredContent).toMatchObject({ code: 'RATE_LIMITED', retryable: true, retryAfterMs: 10_000 });
      expect(engine.calls.length).toBe(2);
      now += 10_000;
      expect(codeOf(await call())).not.toBe('RATE_LIMITED');
      expect(engine.calls.length).toBe(3);
    } finally {
      await client.close();
      await server.close();
    }
  });
});
