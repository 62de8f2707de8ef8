import { expect } from 'vitest';
import { QuerySlots } from '../../../src/use-cases/query-slots.ts';

/** Slots that never make a call wait, for tests about something else; `expectAllFree` checks that every call gave its slot back. */
export function roomySlots(): QuerySlots {
  return new QuerySlots({ maxConcurrent: 10_000, maxConcurrentPerUser: 10_000, maxQueued: 0, queueTimeoutMs: 0 });
}

export function expectAllFree(slots: QuerySlots): void {
  expect(slots.usage).toEqual({ running: 0, queued: 0, keys: 0 });
}
