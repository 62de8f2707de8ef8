import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { QuerySlots, type Release, type SlotLimits } from '../../src/use-cases/query-slots.ts';
import { ManualTimers } from '../fakes/manual-timers.ts';
import { expectDomainError, rejectionOf } from './support/domain-error.ts';
import { expectAllFree } from './support/slots.ts';

const LIMITS: SlotLimits = { maxConcurrent: 4, maxConcurrentPerUser: 2, maxQueued: 8, queueTimeoutMs: 5_000 };

function setup(limits: Partial<SlotLimits> = {}) {
  const timers = new ManualTimers();
  return { slots: new QuerySlots({ ...LIMITS, ...limits }, timers.start), timers };
}

const signal = () => new AbortController().signal;

/** Lets every settled promise run its reactions. */
const flush = () => new Promise((r) => setImmediate(r));

/** A pending acquisition whose outcome the test can read synchronously after a flush. */
function track(p: Promise<Release>) {
  const t: { release?: Release; error?: unknown; settled: boolean } = { settled: false };
  p.then(
    (release) => Object.assign(t, { release, settled: true }),
    (error: unknown) => Object.assign(t, { error, settled: true }),
  );
  return t;
}

describe('QuerySlots', () => {
  it('grants up to the per-user cap at once, then queues; a release admits the waiter', async () => {
    const { slots } = setup();
    const a = track(slots.acquire('alice', signal()));
    const b = track(slots.acquire('alice', signal()));
    const c = track(slots.acquire('alice', signal()));
    await flush();
    expect([a.settled, b.settled, c.settled]).toEqual([true, true, false]);
    expect(slots.usage).toEqual({ running: 2, queued: 1, keys: 1 });
    a.release!();
    await flush();
    expect(c.release).toBeTypeOf('function');
    expect(slots.usage).toEqual({ running: 2, queued: 0, keys: 1 });
    b.release!();
    c.release!();
    expectAllFree(slots);
  });

  it("admits one user's waiters in arrival order", async () => {
    // A queue share of 5: 20 queued × 1 per user / 4 in total.
    const { slots } = setup({ maxConcurrentPerUser: 1, maxQueued: 20 });
    const first = track(slots.acquire('alice', signal()));
    const waiters = Array.from({ length: 5 }, () => track(slots.acquire('alice', signal())));
    await flush();
    let holder = first;
    for (let round = 0; round < waiters.length; round++) {
      holder.release!();
      await flush();
      expect(waiters.map((w) => w.settled)).toEqual(waiters.map((_w, i) => i <= round));
      holder = waiters[round]!;
    }
    holder.release!();
    expectAllFree(slots);
  });

  it("another user takes a free slot at once while the first user's calls wait", async () => {
    const { slots } = setup();
    const alice = [0, 1, 2, 3].map(() => track(slots.acquire('alice', signal())));
    const bob = track(slots.acquire('bob', signal()));
    await flush();
    expect(alice.map((a) => a.settled)).toEqual([true, true, false, false]);
    expect(bob.release).toBeTypeOf('function');
    for (const t of [...alice, bob]) t.release?.();
    await flush();
    for (const t of alice) t.release?.();
    expectAllFree(slots);
  });

  it('a user at its cap does not hold up others: the freed slot goes to the first waiter under its cap', async () => {
    const { slots } = setup({ maxConcurrent: 3 });
    const alice = [track(slots.acquire('alice', signal())), track(slots.acquire('alice', signal()))];
    const bob = track(slots.acquire('bob', signal()));
    // All three slots are held: alice (at her cap) queues twice, then bob once.
    const aliceWaiting = [track(slots.acquire('alice', signal())), track(slots.acquire('alice', signal()))];
    const bobWaiting = track(slots.acquire('bob', signal()));
    await flush();
    expect(slots.usage).toMatchObject({ running: 3, queued: 3 });
    bob.release!();
    await flush();
    // Alice's waiters came first but she is at her cap: bob's waiter gets the slot.
    expect(bobWaiting.release).toBeTypeOf('function');
    expect(aliceWaiting.map((w) => w.settled)).toEqual([false, false]);
    alice[0]!.release!();
    await flush();
    expect(aliceWaiting.map((w) => w.settled)).toEqual([true, false]);
    for (const t of [alice[1]!, bobWaiting, aliceWaiting[0]!]) t.release!();
    await flush();
    aliceWaiting[1]!.release!();
    expectAllFree(slots);
  });

  it('holds the total across users, and hands freed slots out first come first served', async () => {
    const { slots } = setup({ maxConcurrent: 3, maxConcurrentPerUser: 3 });
    const held = ['a', 'b', 'c'].map((u) => track(slots.acquire(u, signal())));
    const waiting = ['d', 'e', 'a'].map((u) => track(slots.acquire(u, signal())));
    await flush();
    expect(slots.usage).toMatchObject({ running: 3, queued: 3 });
    held[1]!.release!();
    await flush();
    expect(waiting.map((w) => w.settled)).toEqual([true, false, false]);
    held[2]!.release!();
    await flush();
    expect(waiting.map((w) => w.settled)).toEqual([true, true, false]);
    for (const t of [held[0]!, ...waiting]) t.release?.();
    await flush();
    waiting[2]!.release!();
    expectAllFree(slots);
  });

  it('a full queue refuses with BUSY at once, retryable, without starting a timer', async () => {
    const { slots, timers } = setup({ maxConcurrent: 1, maxConcurrentPerUser: 1, maxQueued: 2 });
    const held = track(slots.acquire('a', signal()));
    const waiting = [track(slots.acquire('b', signal())), track(slots.acquire('c', signal()))];
    expect(timers.count).toBe(2);
    expectDomainError(await rejectionOf(slots.acquire('d', signal())), 'BUSY', { retryable: true });
    expect(timers.count).toBe(2);
    expect(slots.usage).toMatchObject({ running: 1, queued: 2 });
    await flush();
    held.release!();
    await flush();
    waiting[0]!.release!();
    await flush();
    waiting[1]!.release!();
    expectAllFree(slots);
  });

  it('one user holds at most its share of the queue; another user may still wait', async () => {
    // Share: 8 queued × 2 per user / 4 in total = 4.
    const { slots, timers } = setup();
    const held = [0, 1].map(() => track(slots.acquire('alice', signal())));
    const waiting = [0, 1, 2, 3].map(() => track(slots.acquire('alice', signal())));
    expectDomainError(await rejectionOf(slots.acquire('alice', signal())), 'BUSY', { retryable: true });
    const bob = [0, 1].map(() => track(slots.acquire('bob', signal())));
    const carol = [0, 1].map(() => track(slots.acquire('carol', signal())));
    const carolWaits = track(slots.acquire('carol', signal()));
    await flush();
    expect(bob.map((b) => b.settled)).toEqual([true, true]);
    expect(carol.map((c) => c.settled)).toEqual([false, false]);
    expect(slots.usage).toMatchObject({ running: 4, queued: 7 });
    expect(carolWaits.settled).toBe(false);
    timers.fireAll();
    await flush();
    for (const t of [...waiting, ...carol, carolWaits]) expectDomainError(t.error, 'BUSY', { retryable: true });
    for (const t of [...held, ...bob]) t.release!();
    expectAllFree(slots);
  });

  it('a wait past TRINO_QUEUE_TIMEOUT is BUSY; the waiter leaves the queue and never gets a slot', async () => {
    const { slots, timers } = setup({ maxConcurrentPerUser: 1 });
    const held = track(slots.acquire('alice', signal()));
    const s = signal();
    const late = track(slots.acquire('alice', s));
    expect(timers.durations).toEqual([5_000]);
    timers.fireAll();
    await flush();
    expectDomainError(late.error, 'BUSY', { retryable: true });
    expect(slots.usage).toEqual({ running: 1, queued: 0, keys: 1 });
    expect(getEventListeners(s, 'abort')).toHaveLength(0);
    held.release!();
    expectAllFree(slots);
  });

  it('cancelling while queued rejects with CANCELLED, stops the timer, and the next waiter is served', async () => {
    const { slots, timers } = setup({ maxConcurrentPerUser: 1 });
    const held = track(slots.acquire('alice', signal()));
    const abort = new AbortController();
    const cancelled = track(slots.acquire('alice', abort.signal));
    const next = track(slots.acquire('alice', signal()));
    abort.abort();
    await flush();
    expectDomainError(cancelled.error, 'CANCELLED');
    expect(timers.count).toBe(1);
    held.release!();
    await flush();
    expect(next.release).toBeTypeOf('function');
    expect(timers.count).toBe(0);
    next.release!();
    expectAllFree(slots);
  });

  it('an already aborted call gets CANCELLED and takes no slot', async () => {
    const { slots } = setup();
    expectDomainError(await rejectionOf(slots.acquire('alice', AbortSignal.abort())), 'CANCELLED');
    expectAllFree(slots);
  });

  it('releasing twice gives back one slot', async () => {
    const { slots } = setup({ maxConcurrent: 2, maxConcurrentPerUser: 2 });
    const a = track(slots.acquire('alice', signal()));
    const b = track(slots.acquire('bob', signal()));
    await flush();
    a.release!();
    a.release!();
    expect(slots.usage).toEqual({ running: 1, queued: 0, keys: 1 });
    b.release!();
    expectAllFree(slots);
  });

  it.each([
    ['TRINO_MAX_QUEUED_QUERIES=0', { maxQueued: 0 }],
    ['TRINO_QUEUE_TIMEOUT=0', { queueTimeoutMs: 0 }],
  ])('%s: a call that finds no slot is BUSY at once', async (_name, limits) => {
    const { slots, timers } = setup({ maxConcurrentPerUser: 1, ...limits });
    const held = track(slots.acquire('alice', signal()));
    expectDomainError(await rejectionOf(slots.acquire('alice', signal())), 'BUSY', { retryable: true });
    expect(timers.count).toBe(0);
    await flush();
    held.release!();
    expectAllFree(slots);
  });

  it('ten thousand calls with every ending leave nothing behind, and never exceed a cap', async () => {
    const { slots, timers } = setup({ maxConcurrent: 5, maxConcurrentPerUser: 2, maxQueued: 20 });
    let seed = 42;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const held: Array<{ user: string; release: Release }> = [];
    const aborts: AbortController[] = [];
    const signals: AbortSignal[] = [];
    const outcomes = { granted: 0, busy: 0, cancelled: 0 };
    const peak = { total: 0, user: 0 };
    for (let i = 0; i < 10_000; i++) {
      const user = `u${Math.floor(random() * 8)}`;
      const abort = new AbortController();
      aborts.push(abort);
      signals.push(abort.signal);
      slots.acquire(user, abort.signal).then(
        (release) => {
          outcomes.granted++;
          held.push({ user, release });
        },
        (err: { code: string }) => {
          if (err.code === 'BUSY') outcomes.busy++;
          else outcomes.cancelled++;
        },
      );
      const dice = random();
      if (dice < 0.3 && held.length > 0) held.splice(Math.floor(random() * held.length), 1)[0]!.release();
      else if (dice < 0.4) aborts[Math.max(0, aborts.length - 1 - Math.floor(random() * 20))]!.abort();
      else if (dice < 0.42) timers.fireAll();
      if (i % 16 === 0) await flush();
      const perUser = new Map<string, number>();
      for (const h of held) perUser.set(h.user, (perUser.get(h.user) ?? 0) + 1);
      peak.total = Math.max(peak.total, held.length);
      peak.user = Math.max(peak.user, ...perUser.values());
    }
    expect(peak).toEqual({ total: 5, user: 2 });
    for (const a of aborts) a.abort();
    await flush();
    while (held.length > 0) held.pop()!.release();
    await flush();
    expectAllFree(slots);
    expect(timers.count).toBe(0);
    expect(signals.every((s) => getEventListeners(s, 'abort').length === 0)).toBe(true);
    // Every path was taken many times.
    expect(outcomes.granted).toBeGreaterThan(1_000);
    expect(outcomes.busy).toBeGreaterThan(100);
    expect(outcomes.cancelled).toBeGreaterThan(100);
    expect(outcomes.granted + outcomes.busy + outcomes.cancelled).toBe(10_000);
  });
});
