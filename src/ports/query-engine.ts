import type { Column, Principal, Row } from '../domain/model.ts';

/** One statement to run, with the session defaults and the principal it runs for. */
export interface QueryRequest {
  readonly sql: string;
  readonly principal: Principal;
  readonly catalog?: string | undefined;
  readonly schema?: string | undefined;
  /** The caller's trace id, for the engine's query history to link back to the trace. */
  readonly traceToken?: string | undefined;
  /**
   * Ending the iteration early (`break`, `return()`) leaves the query running on the engine
   * instead of cancelling it: the caller took it over, to `resume` it from a `rows` event's
   * `page` or to `cancel` it. A failure or an aborted signal still cancels it.
   */
  readonly keepOpen?: boolean | undefined;
}

/**
 * Where a row is on the engine: `page`, the address of the engine response it came in, and
 * `skip`, its index among that response's rows. The engine holds a page until the next one
 * is requested, so a position may be read more than once until the stream moves past its page.
 */
export interface RowPosition {
  readonly page: string;
  readonly skip: number;
}

/** Where a query kept open continues: at the row `at`, which comes first. */
export interface ResumeRequest {
  readonly principal: Principal;
  readonly queryId: string;
  readonly at: RowPosition;
  readonly keepOpen?: boolean | undefined;
}

/** How far the engine is with a statement, as it reports it while the statement runs. */
export interface QueryProgress {
  /** The engine's state of the query, e.g. QUEUED, RUNNING, FINISHING. */
  readonly state: string;
  readonly processedRows: number;
  readonly processedBytes: number;
  readonly completedSplits: number;
  readonly totalSplits: number;
}

/**
 * What a running statement reports, in order: `started` once, `columns` once, then `rows`
 * batches; `progress` may come any number of times after `started`, between the others.
 * `oversized` ends the stream instead of a batch the engine will not read because it is larger than the engine's response bound (memory stays bounded however large one
 * value is); the query is cancelled, and it may come before `columns`.
 */
export type QueryEvent =
  | { readonly kind: 'started'; readonly queryId: string }
  | { readonly kind: 'columns'; readonly columns: readonly Column[] }
  /** `at`: where the first of these rows is on the engine, when its page can be fetched again (the rest follow it on that page). */
  | { readonly kind: 'rows'; readonly rows: readonly Row[]; readonly at?: RowPosition | undefined }
  | { readonly kind: 'progress'; readonly progress: QueryProgress }
  | { readonly kind: 'oversized'; readonly limitBytes: number };

/**
 * Runs SQL on the engine and streams the result.
 *
 * Contract (checked by test/contract on the fake and on Trino):
 * - Columns arrive before the first rows; column order and duplicate names are kept.
 * - Ending the iteration early (`break`, `return()`) cancels the query on the engine,
 *   and `return()` settles only after the cancel was sent.
 * - Aborting `signal` cancels the query and makes the iteration throw
 *   `DomainError('CANCELLED')`.
 * - Failures are `DomainError`s: `QUERY_INVALID` (with the engine's errorName) for a
 *   statement the engine rejects, `ENGINE_UNAVAILABLE` when the engine cannot be reached.
 * - No state is shared between two calls: session changes made by one statement never
 *   leak into another.
 */
export interface QueryEngine {
  run(request: QueryRequest, signal: AbortSignal): AsyncIterable<QueryEvent>;
  /**
   * Continues a query kept open (`keepOpen`) at a row position of one of its `rows` events: the same events as `run`
   * (`started`, `columns`, then `rows`, the first being the row at `at`),
   * requesting no page before the iteration asks for it. A page the engine no longer holds
   * (read past, finished, cancelled or abandoned) is `DomainError('CURSOR_EXPIRED')`.
   */
  resume(request: ResumeRequest, signal: AbortSignal): AsyncIterable<QueryEvent>;
  /** Cancels a query kept open; never throws (a query already ended is left as it is). */
  cancel(principal: Principal, queryId: string): Promise<void>;
}
export const QueryEngine = Symbol.for('QueryEngine');
