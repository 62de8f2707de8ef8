import { isDomainError } from '../../domain/errors.ts';
import type { QueryEngine, QueryEvent, QueryRequest } from '../../ports/query-engine.ts';
import type { QueryFinalState } from './prom-metrics.ts';

/**
 * The engine again, telling `count` how each query ended: read to the end (finished), refused
 * by the engine (failed), ended early by the reader, an abort or an oversized answer
 * (cancelled: the engine cancels the query), or never sent (unreachable).
 */
export function countingQueryEngine(engine: QueryEngine, count: (state: QueryFinalState) => void): QueryEngine {
  return {
    async *run(request: QueryRequest, signal: AbortSignal): AsyncIterable<QueryEvent> {
      let state: QueryFinalState = 'cancelled';
      try {
        for await (const event of engine.run(request, signal)) {
          yield event;
          if (event.kind === 'oversized') return;
        }
        state = 'finished';
      } catch (err) {
        const code = isDomainError(err) ? err.code : undefined;
        state = code === 'CANCELLED' ? 'cancelled' : code === 'ENGINE_UNAVAILABLE' ? 'unreachable' : 'failed';
        throw err;
      } finally {
        count(state);
      }
    },
  };
}
