import { describe, expect, it } from 'vitest';
import { Inflight } from '../../src/adapters/lifecycle/inflight.ts';
import { CapturingLogger } from '../fakes/capturing-logger.ts';

describe('Inflight: the one drain of both transports', () => {
  it('drains at once when idle, and when the last piece of work is done', async () => {
    const inflight = new Inflight();
    expect(await inflight.drain(0)).toBe(true);
    const a = inflight.track();
    const b = inflight.track();
    const drained = inflight.drain(1_000);
    a.done();
    a.done(); // idempotent: does not count b as done
    expect(inflight.size).toBe(1);
    b.done();
    expect(await drained).toBe(true);
  });

  it('reports a drain that timed out', async () => {
    const inflight = new Inflight();
    inflight.track();
    expect(await inflight.drain(5)).toBe(false);
  });

  it('shutdown lets work finish within the grace period without aborting it', async () => {
    const inflight = new Inflight();
    const log = new CapturingLogger();
    const work = inflight.track();
    setTimeout(work.done, 5);
    await inflight.shutdown(1_000, log);
    expect(work.controller.signal.aborted).toBe(false);
    expect(log.entries).toEqual([]);
  });

  it('shutdown aborts what outlives the grace period, logs it, and waits for it to wind down', async () => {
    const inflight = new Inflight();
    const log = new CapturingLogger();
    const work = inflight.track();
    work.controller.signal.addEventListener('abort', () => setTimeout(work.done, 5));
    await inflight.shutdown(0, log);
    expect(work.controller.signal.aborted).toBe(true);
    expect(inflight.size).toBe(0);
    expect(log.withMessage('aborting work still in flight after the grace period')).toHaveLength(1);
  });
});
