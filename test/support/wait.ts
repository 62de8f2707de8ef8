import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Calls `probe` every `intervalMs` until `done(value)` holds or `timeoutMs` has passed, and
 * resolves with the last value either way: the caller asserts on it, so a failure shows
 * what was seen last rather than only "timed out".
 */
export async function poll<T>(
  probe: () => T | Promise<T>,
  done: (value: T) => boolean,
  options: { timeoutMs: number; intervalMs?: number },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() >= deadline) return value;
    await sleep(options.intervalMs ?? 100);
  }
}
