import { DomainError, isDomainError } from '../domain/errors.ts';
import type { Column, NameDefaults, Principal, Row, TabularResult, Truncation } from '../domain/model.ts';
import type { QueryEngine } from '../ports/query-engine.ts';
import { ResultBudget, type ByteLimits } from './result-budget.ts';

/**
 * Limits every use-case applies (TRINO_MAX_ROWS, TRINO_MAX_RESULT_BYTES, TRINO_MAX_VALUE_BYTES,
 * TRINO_QUERY_TIMEOUT, TRINO_CATALOG/SCHEMA).
 */
export interface QuerySettings {
  readonly maxRows: number;
  readonly maxResultBytes: number;
  readonly maxValueBytes: number;
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

/** How much of a result one read keeps: rows, and bytes (see ResultBudget for what counts). */
export interface ReadLimits extends ByteLimits {
  readonly maxRows: number;
  readonly defaults: NameDefaults;
}

/**
 * Runs one statement under the call and keeps rows while both the row cap and the byte
 * budget allow. Every row is weighed before it is kept (values past the value limit are
 * cut); the first row that does not fit ends the read, which cancels the engine query,
 * and the result says which limit was hit. The call's deadline cancels the query too and
 * becomes a TIMEOUT error.
 */
export async function readCapped(engine: QueryEngine, sql: string, call: Call, limits: ReadLimits): Promise<TabularResult> {
  let columns: readonly Column[] = [];
  const rows: Row[] = [];
  let queryId: string | undefined;
  let truncatedBy: Truncation | undefined;
  const budget = new ResultBudget(limits);
  const { catalog, schema } = limits.defaults;
  try {
    reading: for await (const event of engine.run({ sql, principal: call.principal, catalog, schema }, call.signal)) {
      if (event.kind === 'started') queryId = event.queryId;
      else if (event.kind === 'columns') columns = budget.columns(event.columns) ?? tooWide(event.columns.length, limits.maxBytes);
      else if (event.kind === 'oversized') {
        truncatedBy = 'bytes';
        break;
      } else {
        for (const row of event.rows) {
          if (rows.length >= limits.maxRows) truncatedBy = 'rows';
          else {
            const kept = budget.take(row);
            if (kept) {
              rows.push(kept);
              continue;
            }
            truncatedBy = 'bytes';
          }
          break reading; // ends the iteration: the engine cancels the query
        }
      }
    }
  } catch (err) {
    if (call.timedOut) throw call.timeoutError(err, queryId);
    if (isDomainError(err) && queryId && !err.details.queryId) {
      throw new DomainError(err.code, err.message, { ...err.details, queryId }, { cause: err.cause });
    }
    throw err;
  }
  return {
    columns,
    rows,
    rowCount: rows.length,
    truncated: truncatedBy !== undefined,
    ...(truncatedBy ? { truncatedBy } : {}),
    ...(budget.truncatedValues > 0 ? { truncatedValues: budget.truncatedValues } : {}),
    ...(queryId ? { queryId } : {}),
  };
}

/** A header that alone exceeds the budget cannot be answered in part: the call fails, naming the fix. */
function tooWide(count: number, maxBytes: number): never {
  throw new DomainError(
    'INVALID_ARGUMENT',
    `The result has ${count} columns whose names and types alone exceed the result limit of ${maxBytes} bytes (TRINO_MAX_RESULT_BYTES); select fewer columns.`,
  );
}
