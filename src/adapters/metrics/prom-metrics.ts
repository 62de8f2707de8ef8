import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CallObserver } from '../mcp/call-observer.ts';

/** How a Trino query ended, as counted: Trino's final states, plus `unreachable` when no query could be sent. */
export type QueryFinalState = 'finished' | 'failed' | 'cancelled' | 'unreachable';

/** How a wait for a query slot ended (src/use-cases/query-slots.ts). */
export type SlotWaitOutcome = 'admitted' | 'timeout' | 'cancelled';

/**
 * The server's Prometheus metrics, in a registry of its own (never prom-client's global one,
 * so two servers in one process, as in tests, do not share counts). Labels are bounded sets
 * — tool names, error codes, failure kinds — and never carry a user or a query text: a label
 * per user would grow without bound and publish who uses the server.
 */
export class PromMetrics {
  readonly registry = new Registry();
  private readonly calls = new Counter({ name: 'trino_mcp_tool_calls_total', help: 'Tool calls, by tool and outcome (ok or the error code).', labelNames: ['tool', 'outcome'], registers: [this.registry] });
  private readonly duration = new Histogram({
    name: 'trino_mcp_tool_call_duration_seconds',
    help: 'Tool call latency, from the call to its result, by tool and outcome.',
    labelNames: ['tool', 'outcome'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
  });
  private readonly inflight = new Gauge({ name: 'trino_mcp_tool_calls_in_flight', help: 'Tool calls running now, by tool.', labelNames: ['tool'], registers: [this.registry] });
  private readonly authFailures = new Counter({ name: 'trino_mcp_auth_failures_total', help: 'Refused HTTP authentications, by reason.', labelNames: ['reason'], registers: [this.registry] });
  private readonly queries = new Counter({ name: 'trino_mcp_trino_queries_total', help: 'Trino queries this server sent, by final state.', labelNames: ['state'], registers: [this.registry] });
  private readonly slotWaits = new Histogram({
    name: 'trino_mcp_query_slot_wait_seconds',
    help: 'Time calls waited in the queue of the concurrency caps, by how the wait ended (calls admitted at once are not counted).',
    labelNames: ['outcome'],
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60],
    registers: [this.registry],
  });
  private readonly slotRefusals = new Counter({ name: 'trino_mcp_query_slot_refusals_total', help: 'Calls refused at once because the queue of the concurrency caps was full.', registers: [this.registry] });
  private readonly jwksFetches = new Counter({ name: 'trino_mcp_jwks_refreshes_total', help: "Fetches of the identity provider's JWKS, by result.", labelNames: ['result'], registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'trino_mcp_' });
  }

  readonly callObserver: CallObserver = {
    start: (tool) => {
      this.inflight.inc({ tool });
      let ended = false;
      return {
        run: (work) => work(),
        end: ({ code, durationMs }) => {
          if (ended) return;
          ended = true;
          this.inflight.dec({ tool });
          this.calls.inc({ tool, outcome: code });
          this.duration.observe({ tool, outcome: code }, durationMs / 1000);
        },
      };
    },
  };

  authFailure(reason: string): void {
    this.authFailures.inc({ reason });
  }

  trinoQuery(state: QueryFinalState): void {
    this.queries.inc({ state });
  }

  slotWait(waitedMs: number, outcome: SlotWaitOutcome): void {
    this.slotWaits.observe({ outcome }, waitedMs / 1000);
  }

  slotRefused(): void {
    this.slotRefusals.inc();
  }

  jwksFetch(result: 'ok' | 'error'): void {
    this.jwksFetches.inc({ result });
  }

  /** The exposition text, and its content type. */
  async render(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}
