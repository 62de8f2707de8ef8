import { DomainError } from '../domain/errors.ts';

/** TRINO_MAX_CONCURRENT_QUERIES, TRINO_MAX_CONCURRENT_QUERIES_PER_USER, TRINO_MAX_QUEUED_QUERIES, TRINO_QUEUE_TIMEOUT. */
export interface SlotLimits {
  readonly maxConcurrent: number;
  readonly maxConcurrentPerUser: number;
  readonly maxQueued: number;
  readonly queueTimeoutMs: number;
}

/** Starts a one-shot timer and returns what stops it: injected so that tests fire the queue timeout by hand. */
export type StartTimer = (ms: number, fire: () => void) => () => void;

export const realTimer: StartTimer = (ms, fire) => {
  // A call waiting in the queue must not keep a stopping process alive.
  const timer = setTimeout(fire, ms).unref();
  return () => clearTimeout(timer);
};

/** Told how each wait in the queue ended, and of each call refused at once: the metrics' view of the caps. */
export interface SlotWaits {
  waited(ms: number, outcome: 'admitted' | 'timeout' | 'cancelled'): void;
  refused(): void;
}

export const SlotWaits = Symbol.for('SlotWaits');

const UNWATCHED: SlotWaits = { waited: () => {}, refused: () => {} };

/** Gives a slot back; calling it again does nothing. */
export type Release = () => void;

interface Waiter {
  readonly key: string;
  /** Hands the waiter its slot (already counted). */
  admit(release: Release): void;
}

function busy(message: string): DomainError {
  return new DomainError('BUSY', message, { retryable: true });
}

/**
 * Slots for Trino queries: at most `maxConcurrent` in total and `maxConcurrentPerUser`
 * per key, shared by every transport of the process. A call that finds no slot waits in
 * one FIFO queue, up to `queueTimeoutMs`; the queue holds at most `maxQueued` calls, and
 * one key at most its share of it (maxQueued × per-user / total, at least 1), so that one
 * user cannot fill the queue and turn everybody else away at once. A slot that comes free
 * goes to the first waiter whose key is under its own cap: a user at its cap is skipped,
 * never in the way of others.
 *
 * Invariant: after every change no waiter could be admitted (the total is full or each
 * waiter's key is at its cap). So a newcomer that finds room takes it at once without
 * jumping an eligible waiter.
 */
export class QuerySlots {
  private running = 0;
  private readonly runningBy = new Map<string, number>();
  /** Insertion-ordered: the FIFO queue. */
  private readonly queue = new Set<Waiter>();
  private readonly queuedBy = new Map<string, number>();
  private readonly queueSharePerKey: number;

  constructor(
    readonly limits: SlotLimits,
    private readonly startTimer: StartTimer = realTimer,
    private readonly waits: SlotWaits = UNWATCHED,
  ) {
    const share = Math.ceil((limits.maxQueued * limits.maxConcurrentPerUser) / limits.maxConcurrent);
    this.queueSharePerKey = limits.maxQueued === 0 ? 0 : Math.min(limits.maxQueued, Math.max(1, share));
  }

  /** What is held and waiting now: for the tests' leak checks and for diagnostics. */
  get usage(): { running: number; queued: number; keys: number } {
    return { running: this.running, queued: this.queue.size, keys: new Set([...this.runningBy.keys(), ...this.queuedBy.keys()]).size };
  }

  /**
   * A slot for `key`: at once when there is room, else after waiting in the queue. Rejects
   * with BUSY (retryable) when the queue is full or the wait times out, and with CANCELLED
   * when `signal` aborts first; the waiter then leaves the queue.
   */
  acquire(key: string, signal: AbortSignal): Promise<Release> {
    if (signal.aborted) return Promise.reject(cancelledWhileWaiting());
    if (this.hasRoom(key)) return Promise.resolve(this.take(key));
    const refusal = this.queueRefusal(key);
    if (refusal) {
      this.waits.refused();
      return Promise.reject(refusal);
    }
    const since = performance.now();
    const waited = (outcome: 'admitted' | 'timeout' | 'cancelled') => this.waits.waited(performance.now() - since, outcome);
    return new Promise<Release>((resolve, reject) => {
      let stopTimer = () => {};
      const leave = () => {
        stopTimer();
        signal.removeEventListener('abort', onAbort);
        this.queue.delete(waiter);
        count(this.queuedBy, key, -1);
      };
      const waiter: Waiter = {
        key,
        admit: (release) => {
          leave();
          waited('admitted');
          resolve(release);
        },
      };
      const onAbort = () => {
        leave();
        waited('cancelled');
        reject(cancelledWhileWaiting());
      };
      this.queue.add(waiter);
      count(this.queuedBy, key, +1);
      signal.addEventListener('abort', onAbort, { once: true });
      stopTimer = this.startTimer(this.limits.queueTimeoutMs, () => {
        leave();
        waited('timeout');
        reject(this.timeoutRefusal(key));
      });
    });
  }

  private hasRoom(key: string): boolean {
    return this.running < this.limits.maxConcurrent && (this.runningBy.get(key) ?? 0) < this.limits.maxConcurrentPerUser;
  }

  private take(key: string): Release {
    this.running++;
    count(this.runningBy, key, +1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      count(this.runningBy, key, -1);
      this.admitWaiters();
    };
  }

  /** Hands free slots to waiters, first come first served among those under their key's cap. */
  private admitWaiters(): void {
    // Deleting from a Set while iterating it is safe: deleted entries are not visited.
    for (const waiter of this.queue) {
      if (this.running >= this.limits.maxConcurrent) return;
      if (this.hasRoom(waiter.key)) waiter.admit(this.take(waiter.key));
    }
  }

  private queueRefusal(key: string): DomainError | undefined {
    const { maxQueued, queueTimeoutMs } = this.limits;
    if (maxQueued === 0 || queueTimeoutMs === 0) return this.capRefusal(key, 'this server does not queue calls');
    if (this.queue.size >= maxQueued) return this.capRefusal(key, `${maxQueued} calls are waiting already (TRINO_MAX_QUEUED_QUERIES)`);
    if ((this.queuedBy.get(key) ?? 0) >= this.queueSharePerKey) {
      return this.capRefusal(key, `${this.queueSharePerKey} of your calls are waiting already, your share of the queue`);
    }
    return undefined;
  }

  private timeoutRefusal(key: string): DomainError {
    return this.capRefusal(key, `no slot came free within ${this.limits.queueTimeoutMs / 1000} s (TRINO_QUEUE_TIMEOUT)`);
  }

  /** BUSY, naming the cap that holds this key back and why the call does not wait (longer). */
  private capRefusal(key: string, why: string): DomainError {
    const { maxConcurrent, maxConcurrentPerUser } = this.limits;
    const cap =
      (this.runningBy.get(key) ?? 0) >= maxConcurrentPerUser
        ? `${maxConcurrentPerUser} of your queries are running, the most one user may run at once (TRINO_MAX_CONCURRENT_QUERIES_PER_USER)`
        : `${maxConcurrent} queries are running, the most this server runs at once (TRINO_MAX_CONCURRENT_QUERIES)`;
    return busy(`Too many queries: ${cap}, and ${why}.`);
  }
}

function cancelledWhileWaiting(): DomainError {
  return new DomainError('CANCELLED', 'The call was cancelled while it waited for a query slot; no query was started.');
}

/** Adds `delta` to the count of `key`, dropping keys at zero: a key no one uses holds no memory. */
function count(map: Map<string, number>, key: string, delta: number): void {
  const n = (map.get(key) ?? 0) + delta;
  if (n <= 0) map.delete(key);
  else map.set(key, n);
}
