import type { Server } from 'node:http';
import type { Principal } from '../domain/model.ts';
import type { Logger } from '../ports/logger.ts';
import type { QueryEngine } from '../ports/query-engine.ts';
import type { SlotWaits } from '../use-cases/query-slots.ts';
import { allOf, type CallObserver } from '../adapters/mcp/call-observer.ts';
import type { PromMetrics } from '../adapters/metrics/prom-metrics.ts';
import type { Tracing } from '../adapters/tracing/otel-tracing.ts';
import type { Config } from './config.ts';
import { StartupError } from './startup-error.ts';
import { metricsOnMcpListener } from './observability-config.ts';

/** Metrics and traces of one process, as the composition root plugs them in. */
export interface Telemetry {
  readonly callObserver: CallObserver;
  readonly metrics?: PromMetrics | undefined;
  readonly slotWaits?: SlotWaits | undefined;
  /** Whether /metrics is served on the MCP listener (see metricsOnMcpListener). */
  readonly metricsOnMcpListener: boolean;
  wrapEngine(engine: QueryEngine): QueryEngine;
  /** Starts the METRICS_PORT listener, when configured. */
  listen(log: Logger): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * Builds what the configuration turns on. prom-client and the OpenTelemetry SDK are imported
 * only when needed: a stdio server with neither starts without loading them. Metrics are on
 * over HTTP, and over stdio when METRICS_PORT gives them a listener.
 */
export async function startTelemetry(config: Config, version: string, options: { tracing?: Tracing } = {}): Promise<Telemetry> {
  const obs = config.observability;
  const metricsOn = config.transport === 'http' || obs.metricsPort !== undefined;
  const metrics = metricsOn ? new (await import('../adapters/metrics/prom-metrics.ts')).PromMetrics() : undefined;
  const tracing =
    options.tracing ?? (obs.traces ? (await import('../adapters/tracing/otel-tracing.ts')).startTracing({ serviceVersion: version, exporter: obs.traces }) : undefined);
  const counting = metrics ? (await import('../adapters/metrics/counting-query-engine.ts')).countingQueryEngine : undefined;
  let metricsServer: Server | undefined;
  return {
    callObserver: allOf([...(metrics ? [metrics.callObserver] : []), ...(tracing ? [tracing.callObserver] : [])]),
    metrics,
    slotWaits: metrics ? { waited: (ms, outcome) => metrics.slotWait(ms, outcome), refused: () => metrics.slotRefused() } : undefined,
    metricsOnMcpListener: Boolean(metrics) && config.transport === 'http' && metricsOnMcpListener(obs, config.http.loopback),
    wrapEngine(engine) {
      // Tracing innermost: it reads the active span when the query is sent.
      const traced = tracing ? tracing.wrapEngine(engine) : engine;
      return metrics && counting ? counting(traced, (state) => metrics.trinoQuery(state)) : traced;
    },
    async listen(log) {
      if (!metrics || obs.metricsPort === undefined) return;
      const { startMetricsServer } = await import('../adapters/metrics/metrics-endpoint.ts');
      const started = await startMetricsServer(obs.metricsHost, obs.metricsPort, metrics).catch((err: NodeJS.ErrnoException) => {
        throw new StartupError(`METRICS_PORT: cannot listen on ${obs.metricsHost}:${obs.metricsPort}: ${err.code ?? err.message}`);
      });
      metricsServer = started.server;
      log.info('metrics listening', { url: started.url });
    },
    async shutdown() {
      await new Promise<void>((resolve) => (metricsServer ? metricsServer.close(() => resolve()) : resolve()));
      await tracing?.shutdown();
    },
  };
}

/** The principal of the readiness query: the server's own Trino user (also as the impersonated claims). */
export function readinessPrincipal(config: Config): Principal {
  const user = config.trino.user;
  return { subject: user, username: user, email: user, scopes: [], via: 'readyz' };
}
