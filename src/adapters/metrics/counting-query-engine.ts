import { isDomainError } from '../../domain/errors.ts';
import type { Principal } from '../../domain/model.ts';
import type { QueryEngine, QueryEvent, QueryRequest, ResumeRequest } from '../../ports/query-engine.ts';
import type { QueryFinalState } from './prom-metrics.ts';

/**
 * The engine again, telling `count` how each query ended: read to the end (finished), refused
 * by the engine (failed), ended early by the reader, an abort or an oversized answer
 * (cancelled: the engine cancels the query), or never sent (unreachable). A query the reader
 * keeps open for later pages is not over when its stream ends early: it is counted when a
 * later stream of it ends, or when it is cancelled.
 */
export function countingQueryEngine(engine: QueryEngine, count: (state: QueryFinalState) => void): QueryEngine {
  async function* counted(events: AsyncIterable<QueryEvent>, keepOpen: boolean): AsyncIterable<QueryEvent> {
    let state: QueryFinalState | undefined = keepOpen ? undefined : 'cancelled';
    try {
      for await (const event of events) {
        yield event;
        if (event.kind === 'oversized') {
          state = 'cancelled';
          return;
        }
      }
      state = 'finished';
    } catch (err) {
      const code = isDomainError(err) ? err.code : undefined;
      state = code === 'CANCELLED' ? 'cancelled' : code === 'ENGINE_UNAVAILABLE' ? 'unreachable' : 'failed';
      throw err;
    } finally {
      if (state) count(state);
    }
  }
  return {
    run: (request: QueryRequest, signal: AbortSignal) => counted(engine.run(request, signal), request.keepOpen === true),
    resume: (request: ResumeRequest, signal: AbortSignal) => counted(engine.resume(request, signal), request.keepOpen === true),
    async cancel(principal: Principal, queryId: string): Promise<void> {
      await engine.cancel(principal, queryId);
      count('cancelled');
    },
  };
}
