import { DomainError, isDomainError } from '../domain/errors.ts';
import { userKey, type Column, type NameDefaults, type Principal, type Row, type TabularResult } from '../domain/model.ts';
import type { QueryEngine } from '../ports/query-engine.ts';
import type { QuerySlots, Release } from './query-slots.ts';

/** Limits every use-case applies (TRINO_MAX_ROWS, TRINO_QUERY_TIMEOUT, TRINO_CATALOG/SCHEMA). */
export interface QuerySettings {
  readonly maxRows: number;
  readonly timeoutMs: number;
  readonly defaults: NameDefaults;
}

/**
 * One tool call: who asks, the caller's cancellation, the call's single deadline and its
 * one query slot. Every engine round trip of the call (the allowlist analysis and the
 * query itself) runs under `signal`, so the whole call, waiting for a slot included, lasts
 * at most TRINO_QUERY_TIMEOUT; and in the one slot, taken before the first round trip and
 * held until `end`, so a call never waits for a second slot while holding one.
 */
export class Call {
  readonly signal: AbortSignal;
  private readonly deadline: AbortSignal;
  private admission: Promise<Release> | undefined;
  private release: Release | undefined;
  private ended = false;

  constructor(
    readonly principal: Principal,
    private readonly cancel: AbortSignal,
    readonly timeoutMs: number,
    private readonly slots: QuerySlots,
  ) {
    this.deadline = AbortSignal.timeout(timeoutMs);
    this.signal = AbortSignal.any([cancel, this.deadline]);
  }

  /**
   * Takes the call's query slot, waiting for it when every slot is held; at once when the
   * call holds it already. A deadline that passes while waiting is BUSY, not TIMEOUT: no
   * query ran, and the same call may succeed later.
   */
  async admit(): Promise<void> {
    if (this.release) return;
    this.admission ??= this.slots.acquire(userKey(this.principal), this.signal);
    try {
      this.release = await this.admission;
    } catch (err) {
      if (this.timedOut) {
        const within = `${Math.round(this.timeoutMs / 1000)} s (TRINO_QUERY_TIMEOUT)`;
        throw new DomainError('BUSY', `No query slot came free within the call's ${within}.`, { retryable: true }, { cause: err });
      }
      throw err;
    }
    if (this.ended) {
      // The call ended while it waited: the slot goes straight back, and nothing may run in it.
      this.end();
      throw new DomainError('CANCELLED', 'The call ended before its query could start.');
    }
  }

  /** Gives the slot back (idempotent); every use-case calls it however the call ends. */
  end(): void {
    this.ended = true;
    const release = this.release;
    this.release = undefined;
    release?.();
  }

  /** The deadline ended the call (not the caller). */
  get timedOut(): boolean {
    return this.deadline.aborted && !this.cancel.aborted;
  }

  timeoutError(cause: unknown, queryId?: string): DomainError {
    return new DomainError(
      'TIMEOUT',
      `The query ran longer than ${Math.round(this.timeoutMs / 1000)} s and was cancelled.`,
      { ...(queryId ? { queryId } : {}), retryable: false },
      { cause },
    );
  }
}

/**
 * Runs one statement under the call, in its query slot, and reads at most `maxRows` rows.
 * Reading stops at the cap, which cancels the engine query; the call's deadline cancels it
 * too and becomes a TIMEOUT error.
 */
export async function readCapped(
  engine: QueryEngine,
  sql: string,
  call: Call,
  options: { maxRows: number; defaults: NameDefaults },
): Promise<TabularResult> {
  let columns: readonly Column[] = [];
  const rows: Row[] = [];
  let queryId: string | undefined;
  let truncated = false;
  const { catalog, schema } = options.defaults;
  await call.admit();
  try {
    for await (const event of engine.run({ sql, principal: call.principal, catalog, schema }, call.signal)) {
      if (event.kind === 'started') queryId = event.queryId;
      else if (event.kind === 'columns') columns = event.columns;
      else {
        const room = options.maxRows - rows.length;
        if (event.rows.length > room) {
          for (let i = 0; i < room; i++) rows.push(event.rows[i]!);
          truncated = true;
          break; // ends the iteration: the engine cancels the query
        }
        for (const row of event.rows) rows.push(row);
      }
    }
  } catch (err) {
    if (call.timedOut) throw call.timeoutError(err, queryId);
    if (isDomainError(err) && queryId && !err.details.queryId) {
      throw new DomainError(err.code, err.message, { ...err.details, queryId }, { cause: err.cause });
    }
    throw err;
  }
  return { columns, rows, rowCount: rows.length, truncated, ...(queryId ? { queryId } : {}) };
}
