import type { z } from 'zod';
import type { envSchema } from './env-schema.ts';

/** Metrics and traces, as configured (METRICS_*, OTEL_*). */
export interface ObservabilityConfig {
  /** METRICS_PORT: /metrics on a listener of its own; unset, /metrics is on the MCP listener when that is loopback. */
  readonly metricsPort?: number | undefined;
  /** METRICS_HOST: the metrics listener's address. */
  readonly metricsHost: string;
  /** Set when traces are on: the exporter OTEL_TRACES_EXPORTER names (or otlp, implied by an OTLP endpoint). */
  readonly traces?: 'otlp' | 'console' | undefined;
}

type Env = z.infer<typeof envSchema>;

/** The observability part of loadConfig: the cross-variable rules, problems appended to `errors`. */
export function observabilityConfig(e: Env, errors: string[]): ObservabilityConfig {
  const metricsHost = e.METRICS_HOST.replace(/^\[(.*)\]$/, '$1');
  if (e.METRICS_PORT !== undefined && e.MCP_TRANSPORT === 'http' && e.METRICS_PORT === e.MCP_PORT) {
    errors.push(`METRICS_PORT: ${e.METRICS_PORT} is MCP_PORT too; the metrics listener needs a port of its own`);
  }
  const endpoint = e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? e.OTEL_EXPORTER_OTLP_ENDPOINT;
  const exporter = e.OTEL_SDK_DISABLED ? 'none' : (e.OTEL_TRACES_EXPORTER ?? (endpoint ? 'otlp' : 'none'));
  const traces = exporter === 'none' ? undefined : exporter;
  if (traces === 'console' && e.MCP_TRANSPORT === 'stdio') {
    errors.push('OTEL_TRACES_EXPORTER: console writes spans to stdout, which carries JSON-RPC over stdio; use otlp');
  }
  const protocol = e.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? e.OTEL_EXPORTER_OTLP_PROTOCOL;
  if (traces === 'otlp' && protocol !== undefined && protocol !== 'http/json') {
    const name = e.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
    errors.push(`${name}: ${protocol} is not supported; this server exports OTLP as http/json (unset it or set http/json)`);
  }
  return { metricsPort: e.METRICS_PORT, metricsHost, traces };
}

/** Whether /metrics may be served on the MCP listener: only a loopback one (a public listener is no place for it). */
export function metricsOnMcpListener(config: { readonly metricsPort?: number | undefined }, mcpLoopback: boolean): boolean {
  return config.metricsPort === undefined && mcpLoopback;
}

