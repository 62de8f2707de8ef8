/**
 * OpenTelemetry traces: a span per tool call, continuing the client's W3C trace. Loaded
 * only when traces are on (src/app/telemetry.ts imports this module dynamically): the SDK
 * costs start-up time a stdio server without traces should not pay.
 */
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type TextMapGetter } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor, TracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace';
import type { QueryEngine, QueryRequest } from '../../ports/query-engine.ts';
import type { CallObserver, TraceCarrier } from '../mcp/call-observer.ts';

export interface TracingOptions {
  readonly serviceVersion: string;
  /** `otlp` (OTLP over HTTP, endpoint and headers from the OTEL_EXPORTER_OTLP_* variables) or `console`. */
  readonly exporter: 'otlp' | 'console';
  /** Tests: spans go here instead, each exported as soon as it ends. */
  readonly spanExporter?: SpanExporter | undefined;
}

export interface Tracing {
  readonly callObserver: CallObserver;
  /** The engine again, sending the active trace id to Trino as X-Trino-Trace-Token. */
  wrapEngine(engine: QueryEngine): QueryEngine;
  /** Exports what is buffered; resolves when done. */
  shutdown(): Promise<void>;
}

const carrierGetter: TextMapGetter<TraceCarrier> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => (key === 'traceparent' ? carrier.traceparent : key === 'tracestate' ? carrier.tracestate : undefined),
};

export function startTracing(options: TracingOptions): Tracing {
  const exporter = options.spanExporter ?? (options.exporter === 'console' ? new ConsoleSpanExporter() : new OTLPTraceExporter());
  const processor = options.spanExporter ? new SimpleSpanProcessor({ exporter }) : new BatchSpanProcessor({ exporter });
  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over the defaults, as the conventions say.
  const resource = resourceFromAttributes({ 'service.name': 'trino-mcp', 'service.version': options.serviceVersion }).merge(
    detectResources({ detectors: [envDetector] }),
  );
  const provider = new TracerProvider({ resource, spanProcessors: [processor] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const tracer = provider.getTracer('trino-mcp', options.serviceVersion);

  const callObserver: CallObserver = {
    start(tool, carrier) {
      // A malformed traceparent is ignored by the propagator: the call starts a trace of its own.
      const parent = propagation.extract(ROOT_CONTEXT, carrier, carrierGetter);
      const span = tracer.startSpan(
        `tools/call ${tool}`,
        { kind: SpanKind.SERVER, attributes: { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': tool, 'rpc.system': 'mcp' } },
        parent,
      );
      const spanContext = trace.setSpan(parent, span);
      let ended = false;
      return {
        run: (work) => context.with(spanContext, work),
        end: ({ code, queryId }) => {
          if (ended) return;
          ended = true;
          span.setAttribute('trino_mcp.outcome', code);
          if (queryId) span.setAttribute('trino.query_id', queryId);
          if (code !== 'ok') span.setStatus({ code: SpanStatusCode.ERROR, message: code });
          span.end();
        },
      };
    },
  };

  return {
    callObserver,
    wrapEngine: (engine) => ({
      run(request: QueryRequest, signal: AbortSignal) {
        const active = trace.getActiveSpan()?.spanContext();
        return engine.run(active && trace.isSpanContextValid(active) ? { ...request, traceToken: active.traceId } : request, signal);
      },
      resume: (request, signal) => engine.resume(request, signal),
      cancel: (principal, queryId) => engine.cancel(principal, queryId),
    }),
    async shutdown() {
      await provider.shutdown();
      // Unregistered, so that a later start in the same process (tests) registers its own.
      context.disable();
      propagation.disable();
    },
  };
}
