import { DomainError } from '../../src/domain/errors.ts';
import type { Column, Principal, Row } from '../../src/domain/model.ts';
import type { QueryEngine, QueryEvent, QueryRequest, ResumeRequest } from '../../src/ports/query-engine.ts';

/** A result the fake streams: `rows` arrive in batches of `batchSize` (default 2). */
export interface FakeResult {
  readonly columns: readonly Column[];
  readonly rows: readonly (readonly unknown[])[];
  readonly batchSize?: number;
}

/** The engine rejects the statement: iteration throws QUERY_INVALID after `started`. */
export interface FakeFailure {
  readonly error: { readonly errorName: string; readonly message: string };
}

/** The statement runs forever: `started`, then nothing until the signal aborts. */
export interface FakeHang {
  readonly hang: true;
}

/** The engine cannot be reached: iteration throws ENGINE_UNAVAILABLE before `started`. */
export interface FakeUnavailable {
  readonly unavailable: true;
}

export type FakeOutcome = FakeResult | FakeFailure | FakeHang | FakeUnavailable;

const DEFAULT_BATCH_SIZE = 2;

function cancelledError(queryId?: string): DomainError {
  return new DomainError('CANCELLED', 'The request was cancelled; the fake query was cancelled too.', queryId ? { queryId } : {});
}

/**
 * Resolves on the next turn of the event loop (`forever`: never), or rejects with
 * CANCELLED as soon as `signal` aborts. The listener is always removed.
 */
function pause(signal: AbortSignal, queryId: string, forever = false): Promise<void> {
  if (signal.aborted) return Promise.reject(cancelledError(queryId));
  return new Promise<void>((resolve, reject) => {
    let timer: ReturnType<typeof setImmediate> | undefined;
    const onAbort = () => {
      if (timer !== undefined) clearImmediate(timer);
      reject(cancelledError(queryId));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    if (!forever) {
      timer = setImmediate(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    }
  });
}

/**
 * In-memory QueryEngine for unit and contract tests. Statements are matched exactly
 * (after trimming) against the outcomes given to `define`; anything else fails like a
 * syntax error. It honours the QueryEngine contract: `started`, then `columns`, then
 * `rows` batches; ending the iteration early or aborting the signal cancels the query
 * (recorded in `cancelled` before `return()` settles); failures are DomainErrors; no
 * state is shared between calls (every event carries fresh copies of the defined data).
 */
export class InMemoryQueryEngine implements QueryEngine {
  /** Every request passed to `run`, in order (recorded when `run` is called). */
  readonly calls: QueryRequest[] = [];
  /** Query ids that were cancelled (early end of iteration or aborted signal). */
  readonly cancelled: string[] = [];

  private readonly outcomes = new Map<string, FakeOutcome>();
  private readonly running = new Set<string>();
  private readonly held = new Map<string, { outcome: Exclude<FakeOutcome, FakeUnavailable>; batch: number }>();
  /** Every request passed to `resume`, in order. */
  readonly resumes: ResumeRequest[] = [];
  private nextId = 1;

  /** Defines what running `sql` (matched after trimming) does. Returns `this` for chaining. */
  define(sql: string, outcome: FakeOutcome): this {
    this.outcomes.set(sql.trim(), outcome);
    return this;
  }

  /** True between `started` and the end of the query (finished, failed or cancelled). */
  isRunning(queryId: string): boolean {
    return this.running.has(queryId);
  }

  /** The SQL of every call, in order: a convenience for assertions. */
  get statements(): string[] {
    return this.calls.map((c) => c.sql);
  }

  run(request: QueryRequest, signal: AbortSignal): AsyncIterable<QueryEvent> {
    this.calls.push(request);
    const outcome: FakeOutcome = this.outcomes.get(request.sql.trim()) ?? {
      error: { errorName: 'SYNTAX_ERROR', message: `unknown statement in fake: ${request.sql}` },
    };
    return this.execute(outcome, signal, request.keepOpen === true);
  }

  /**
   * Like Trino: a page (`fake://<queryId>/<batch>`) of a query kept open can be read again
   * until the next page was requested; anything else is CURSOR_EXPIRED.
   */
  resume(request: ResumeRequest, signal: AbortSignal): AsyncIterable<QueryEvent> {
    this.resumes.push(request);
    const match = /^fake:\/\/([^/]+)\/(\d+)$/.exec(request.at.page);
    const held = match ? this.held.get(request.queryId) : undefined;
    if (!match || match[1] !== request.queryId || !held || Number(match[2]) !== held.batch) {
      return (async function* (): AsyncGenerator<QueryEvent> {
        yield* [];
        throw new DomainError('CURSOR_EXPIRED', 'The fake engine no longer holds this page.', { queryId: request.queryId });
      })();
    }
    this.held.delete(request.queryId);
    return this.stream(request.queryId, held.outcome, signal, request.keepOpen === true, held.batch, request.at.skip);
  }

  cancel(_principal: Principal, queryId: string): Promise<void> {
    if (this.held.delete(queryId)) this.cancelled.push(queryId);
    return Promise.resolve();
  }

  /** Queries left running by a caller that took them over (keepOpen), and the page each is at. */
  get open(): string[] {
    return [...this.held.keys()];
  }

  private async *execute(outcome: FakeOutcome, signal: AbortSignal, keepOpen: boolean): AsyncGenerator<QueryEvent, void, undefined> {
    if (signal.aborted) throw cancelledError();
    if ('unavailable' in outcome) {
      throw new DomainError('ENGINE_UNAVAILABLE', 'The fake engine is unavailable; retry later.', { retryable: true });
    }
    yield* this.stream(`fake_${this.nextId++}`, outcome, signal, keepOpen, 0, 0);
  }

  private async *stream(
    queryId: string,
    outcome: Exclude<FakeOutcome, FakeUnavailable>,
    signal: AbortSignal,
    keepOpen: boolean,
    fromBatch: number,
    skip: number,
  ): AsyncGenerator<QueryEvent, void, undefined> {
    this.running.add(queryId);
    // Whether the query reached an end on the engine (completed or failed). If not, the
    // finally block cancels it: the consumer stopped early or the signal aborted, unless the
    // consumer stopped early and took it over (keepOpen).
    let ended = false;
    let threw = false;
    let batch = fromBatch;
    try {
      yield { kind: 'started', queryId };
      if ('hang' in outcome) {
        await pause(signal, queryId, true); // only ever rejects, with CANCELLED
        return;
      }
      await pause(signal, queryId);
      if ('error' in outcome) {
        ended = true;
        throw new DomainError('QUERY_INVALID', outcome.error.message, { errorName: outcome.error.errorName, queryId });
      }
      yield { kind: 'columns', columns: outcome.columns.map((c) => ({ name: c.name, type: c.type })) };
      const batchSize = Math.max(1, outcome.batchSize ?? DEFAULT_BATCH_SIZE);
      for (; batch * batchSize < outcome.rows.length; batch++) {
        await pause(signal, queryId);
        const offset = batch === fromBatch ? skip : 0;
        const rows: Row[] = outcome.rows.slice(batch * batchSize + offset, (batch + 1) * batchSize).map((r) => [...r]);
        if (rows.length > 0) yield { kind: 'rows', rows, at: { page: `fake://${queryId}/${batch}`, skip: offset } };
      }
      await pause(signal, queryId);
      ended = true;
    } catch (err) {
      threw = true;
      throw err;
    } finally {
      this.running.delete(queryId);
      // Without a throw, finally runs here only because the consumer called return().
      if (!ended && keepOpen && !threw && !signal.aborted) this.held.set(queryId, { outcome, batch });
      else if (!ended) this.cancelled.push(queryId);
    }
  }
}
