import type { StartTimer } from '../../src/use-cases/query-slots.ts';

/** Timers that fire only when the test says so (the queue timeout of QuerySlots). */
export class ManualTimers {
  private readonly pending = new Set<{ ms: number; fire: () => void }>();

  readonly start: StartTimer = (ms, fire) => {
    const timer = { ms, fire };
    this.pending.add(timer);
    return () => this.pending.delete(timer);
  };

  /** Timers started and neither fired nor stopped. */
  get count(): number {
    return this.pending.size;
  }

  get durations(): number[] {
    return [...this.pending].map((t) => t.ms);
  }

  fireAll(): void {
    for (const t of [...this.pending]) {
      this.pending.delete(t);
      t.fire();
    }
  }
}
