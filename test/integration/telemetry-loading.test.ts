/**
 * prom-client and the OpenTelemetry SDK cost start-up time: a stdio server with neither
 * metrics nor traces configured must not load them; configuring either loads it.
 */
import { describe, expect, it } from 'vitest';
import { freePort } from '../harness/trino-server.ts';
import { connectStdioCommand } from '../support/mcp-clients.ts';
import { SERVER_BIN, serverEnv } from '../support/processes.ts';

const REPORTER = new URL('../fixtures/report-loaded-modules.mjs', import.meta.url).href;

async function loadedAtStart(env: Record<string, string>): Promise<string[]> {
  let stderr = '';
  const session = await connectStdioCommand('v2 client, protocol 2026-07-28', {
    command: process.execPath,
    args: ['--import', REPORTER, SERVER_BIN],
    env: serverEnv(env),
    onStderr: (chunk) => (stderr += chunk),
  });
  expect((await session.callTool('list_catalogs')).isError).toBeFalsy();
  await session.close();
  return [...new Set([...stderr.matchAll(/LOADED .*\/node_modules\/((?:@opentelemetry\/)?[^/]+)\//g)].map((m) => m[1]!))].sort();
}

describe('telemetry modules at start-up over stdio', () => {
  it('neither configured: neither loaded', async () => {
    expect(await loadedAtStart({})).toEqual([]);
  });

  it('METRICS_PORT loads prom-client, not the tracing SDK; an OTLP endpoint loads the SDK, not prom-client', async () => {
    const metered = await loadedAtStart({ METRICS_PORT: String(await freePort()) });
    expect(metered).toContain('prom-client');
    // prom-client reads @opentelemetry/api (the small API package) for exemplars; the SDK stays out.
    expect(metered.filter((m) => m.startsWith('@opentelemetry/') && m !== '@opentelemetry/api')).toEqual([]);
    const traced = await loadedAtStart({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    expect(traced).toContain('@opentelemetry/sdk-trace');
    expect(traced).not.toContain('prom-client');
  });
});
