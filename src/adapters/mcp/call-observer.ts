/**
 * What watches tool calls from outside the call itself: metrics count and time them,
 * tracing puts each in a span. The MCP edge starts one observation per call at the one
 * place where its result or error is known (TrinoMcpServer.call).
 */

/** W3C trace context a call arrived with: the MCP request's `_meta`, else the HTTP request's headers. */
export interface TraceCarrier {
  readonly traceparent?: string | undefined;
  readonly tracestate?: string | undefined;
}

/** How a call ended: `ok` or the error code its result carries. */
export interface CallOutcome {
  readonly code: string;
  readonly queryId?: string | undefined;
  readonly durationMs: number;
}

export interface ObservedCall {
  /** Runs the call's work (inside the call's span, when traces are on). */
  run<T>(work: () => Promise<T>): Promise<T>;
  /** Once, when the call's result is known. */
  end(outcome: CallOutcome): void;
}

export interface CallObserver {
  start(tool: string, carrier: TraceCarrier): ObservedCall;
}
export const CallObserver = Symbol.for('CallObserver');

export const NO_OBSERVER: CallObserver = {
  start: () => ({ run: (work) => work(), end: () => {} }),
};

/** Several observers as one: each wraps the next one's run, all see the end. */
export function allOf(observers: readonly CallObserver[]): CallObserver {
  if (observers.length === 0) return NO_OBSERVER;
  if (observers.length === 1) return observers[0]!;
  return {
    start(tool, carrier) {
      const calls = observers.map((o) => o.start(tool, carrier));
      return {
        run: <T>(work: () => Promise<T>) => calls.reduceRight<() => Promise<T>>((next, call) => () => call.run(next), work)(),
        end: (outcome) => {
          for (const call of calls) call.end(outcome);
        },
      };
    },
  };
}

/** The trace context of a call: `_meta.traceparent` (MCP) wins over the HTTP request's header. */
export function traceCarrierOf(meta: Readonly<Record<string, unknown>> | undefined, headers: { get(name: string): string | null } | undefined): TraceCarrier {
  const fromMeta = typeof meta?.['traceparent'] === 'string' ? meta : undefined;
  if (fromMeta) {
    return { traceparent: fromMeta['traceparent'] as string, tracestate: typeof fromMeta['tracestate'] === 'string' ? fromMeta['tracestate'] : undefined };
  }
  return { traceparent: headers?.get('traceparent') ?? undefined, tracestate: headers?.get('tracestate') ?? undefined };
}
