import { DomainError, isDomainError } from '../domain/errors.ts';
import { userKey, type Column, type NameDefaults, type Principal, type Row, type TabularResult, type Truncation } from '../domain/model.ts';
import type { QueryEngine, QueryEvent, QueryProgress, RowPosition } from '../ports/query-engine.ts';
import type { QuerySlots, Release } from './query-slots.ts';
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
    /** Told the engine's progress while the call's queries run (the MCP edge passes it on to a client that asked). */
    readonly onProgress?: ((progress: QueryProgress) => void) | undefined,
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

/** How much of a result one read keeps: rows, and bytes (see ResultBudget for what counts). */
export interface ReadLimits extends ByteLimits {
  readonly maxRows: number;
  readonly defaults: NameDefaults;
}

/**
 * Runs one statement under the call, in its query slot, and keeps rows while both the row
 * cap and the byte budget allow. Every row is weighed before it is kept (values past the
 * value limit are cut); the first row that does not fit ends the read, which cancels the
 * engine query, and the result says which limit was hit. The call's deadline cancels the
 * query too and becomes a TIMEOUT error.
 */
export async function readCapped(engine: QueryEngine, sql: string, call: Call, limits: ReadLimits): Promise<TabularResult> {
  const { catalog, schema } = limits.defaults;
  return (await readEvents((signal) => engine.run({ sql, principal: call.principal, catalog, schema }, signal), call, limits)).result;
}

/** A read that stopped at a limit, and where its first unread row is on the engine when it can be resumed. */
export interface ReadPage {
  readonly result: TabularResult;
  readonly next?: RowPosition | undefined;
}

/**
 * readCapped's loop over any event stream (a run or a resumed query): in the call's slot,
 * under its deadline. `next` is the position of the first row not kept, when the engine
 * gave one (a stream kept open can be resumed there).
 */
export async function readEvents(open: (signal: AbortSignal) => AsyncIterable<QueryEvent>, call: Call, limits: Omit<ReadLimits, 'defaults'>): Promise<ReadPage> {
  let columns: readonly Column[] = [];
  const rows: Row[] = [];
  let queryId: string | undefined;
  let truncatedBy: Truncation | undefined;
  let next: RowPosition | undefined;
  const budget = new ResultBudget(limits);
  await call.admit();
  try {
    reading: for await (const event of open(call.signal)) {
      if (event.kind === 'started') queryId = event.queryId;
      else if (event.kind === 'columns') columns = budget.columns(event.columns) ?? tooWide(event.columns.length, limits.maxBytes);
      else if (event.kind === 'progress') call.onProgress?.(event.progress);
      else if (event.kind === 'oversized') {
        truncatedBy = 'bytes';
        break;
      } else {
        for (let i = 0; i < event.rows.length; i++) {
          const row = event.rows[i]!;
          if (rows.length >= limits.maxRows) truncatedBy = 'rows';
          else {
            const kept = budget.take(row);
            if (kept) {
              rows.push(kept);
              continue;
            }
            truncatedBy = 'bytes';
          }
          if (event.at) next = { page: event.at.page, skip: event.at.skip + i };
          break reading; // ends the iteration: the engine cancels the query (unless it was kept open)
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
  const result: TabularResult = {
    columns,
    rows,
    rowCount: rows.length,
    truncated: truncatedBy !== undefined,
    ...(truncatedBy ? { truncatedBy } : {}),
    ...(budget.truncatedValues > 0 ? { truncatedValues: budget.truncatedValues } : {}),
    ...(queryId ? { queryId } : {}),
  };
  WEIGHED_ROWS.set(rows, budget.rowsJsonBytes);
  return { result, next };
}

/**
 * The JSON bytes of each rows array a read kept, by the array itself: whoever sends those
 * rows can count them without serialising them again, and rows derived from them (another
 * array) are simply not found.
 */
const WEIGHED_ROWS = new WeakMap<readonly Row[], number>();

/** The exact UTF-8 bytes of `rows` as JSON when a read kept that very array, else undefined. */
export function weighedRowsJsonBytes(rows: readonly Row[]): number | undefined {
  return WEIGHED_ROWS.get(rows);
}

/** A header that alone exceeds the budget cannot be answered in part: the call fails, naming the fix. */
function tooWide(count: number, maxBytes: number): never {
  throw new DomainError(
    'INVALID_ARGUMENT',
    `The result has ${count} columns whose names and types alone exceed the result limit of ${maxBytes} bytes (TRINO_MAX_RESULT_BYTES); select fewer columns.`,
  );
}
