import { DomainError, isDomainError } from '../domain/errors.ts';
import type { Column, NameDefaults, Principal, Row, TabularResult } from '../domain/model.ts';
import type { QueryEngine } from '../ports/query-engine.ts';

/** Limits every use-case applies (TRINO_MAX_ROWS, TRINO_QUERY_TIMEOUT, TRINO_CATALOG/SCHEMA). */
export interface QuerySettings {
  readonly maxRows: number;
  readonly timeoutMs: number;
  readonly defaults: NameDefaults;
}

/**
 * One tool call: who asks, the caller's cancellation and the call's single deadline.
 * Every engine round trip of the call (the allowlist analysis and the query itself) runs
 * under `signal`, so the whole call lasts at most TRINO_QUERY_TIMEOUT.
 */
export class Call {
  readonly signal: AbortSignal;
  private readonly deadline: AbortSignal;

  constructor(
    readonly principal: Principal,
    private readonly cancel: AbortSignal,
    readonly timeoutMs: number,
  ) {
    this.deadline = AbortSignal.timeout(timeoutMs);
    this.signal = AbortSignal.any([cancel, this.deadline]);
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
 * Runs one statement under the call and reads at most `maxRows` rows. Reading stops at
 * the cap, which cancels the engine query; the call's deadline cancels it too and becomes
 * a TIMEOUT error.
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
