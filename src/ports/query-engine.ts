import type { Column, Principal, Row } from '../domain/model.ts';

/** One statement to run, with the session defaults and the principal it runs for. */
export interface QueryRequest {
  readonly sql: string;
  readonly principal: Principal;
  readonly catalog?: string | undefined;
  readonly schema?: string | undefined;
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
 * batches; `progress` may come any number of times after `started`, between the others. `oversized` ends the stream instead of a batch the engine will not read because
 * it is larger than the engine's response bound (memory stays bounded however large one
 * value is); the query is cancelled, and it may come before `columns`.
 */
export type QueryEvent =
  | { readonly kind: 'started'; readonly queryId: string }
  | { readonly kind: 'columns'; readonly columns: readonly Column[] }
  | { readonly kind: 'rows'; readonly rows: readonly Row[] }
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
}
export const QueryEngine = Symbol.for('QueryEngine');
