import { describe, expect, it } from 'vitest';
import { metricsOnMcpListener } from '../../src/app/observability-config.ts';
import { errors, ok } from './support/config.ts';

const HTTP = { MCP_TRANSPORT: 'http' };

describe('metrics and traces configuration', () => {
  it('defaults: traces off, metrics listener address loopback, no separate port', () => {
    expect(ok({}).observability).toEqual({ metricsPort: undefined, metricsHost: '127.0.0.1', traces: undefined });
  });

  it('an OTLP endpoint turns traces on (otlp), as the OTel conventions say; none and OTEL_SDK_DISABLED turn them off', () => {
    expect(ok({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }).observability.traces).toBe('otlp');
    expect(ok({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' }).observability.traces).toBe('otlp');
    expect(ok({ OTEL_TRACES_EXPORTER: 'otlp' }).observability.traces).toBe('otlp');
    expect(ok({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }).observability.traces).toBeUndefined();
    expect(ok({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' }).observability.traces).toBeUndefined();
    expect(ok({ ...HTTP, OTEL_TRACES_EXPORTER: 'console' }).observability.traces).toBe('console');
  });

  it.each([
    [{ OTEL_TRACES_EXPORTER: 'jaeger' }, 'OTEL_TRACES_EXPORTER'],
    [{ OTEL_TRACES_EXPORTER: 'otlp,console' }, 'OTEL_TRACES_EXPORTER'],
    [{ OTEL_TRACES_EXPORTER: 'console' }, 'OTEL_TRACES_EXPORTER'], // stdio: stdout is JSON-RPC
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://collector' }, 'OTEL_EXPORTER_OTLP_ENDPOINT'],
    [{ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'OTEL_EXPORTER_OTLP_PROTOCOL'],
    [{ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' }, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'],
    [{ METRICS_PORT: 'abc' }, 'METRICS_PORT'],
    [{ METRICS_PORT: '70000' }, 'METRICS_PORT'],
    [{ ...HTTP, MCP_PORT: '9000', METRICS_PORT: '9000' }, 'METRICS_PORT'],
  ])('refuses %j, naming %s', (env, variable) => {
    const lines = errors(env);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.startsWith(variable)).toBe(true);
  });

  it('the protocol matters only when traces go to OTLP', () => {
    expect(ok({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).observability.traces).toBeUndefined();
    expect(ok({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).observability.traces).toBe('otlp');
  });

  it('/metrics goes on the MCP listener only when that listener is loopback and no METRICS_PORT is set', () => {
    expect(metricsOnMcpListener({}, true)).toBe(true);
    expect(metricsOnMcpListener({}, false)).toBe(false);
    expect(metricsOnMcpListener({ metricsPort: 9464 }, true)).toBe(false);
    expect(ok({ METRICS_PORT: '9464', METRICS_HOST: '[::1]' }).observability).toMatchObject({ metricsPort: 9464, metricsHost: '::1' });
  });
});
