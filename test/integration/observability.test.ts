/**
 * Health, metrics and traces of the built server over HTTP, against the real Trino: /readyz
 * asks Trino; /metrics counts what the calls did; a span per call reaches an OTLP receiver
 * and its trace id reaches Trino's own record of the query (X-Trino-Trace-Token).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../harness/trino-server.ts';
import { startHttpServer, type HttpServerHandle } from '../support/http-server.ts';
import { connectHttp, GENERATIONS } from '../support/mcp-clients.ts';
import { trinoQueryInfo } from '../support/trino-sql.ts';

const started: HttpServerHandle[] = [];
async function start(env: Record<string, string> = {}): Promise<HttpServerHandle> {
  const server = await startHttpServer(env);
  started.push(server);
  return server;
}
afterAll(async () => {
  await Promise.all(started.map((s) => s.stop()));
});

describe('health', () => {
  it('/healthz is up and /readyz is ready when Trino answers', async () => {
    const server = await start();
    expect((await fetch(`${server.origin}/healthz`)).status).toBe(200);
    const ready = await fetch(`${server.origin}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { trino: 'ok' } });
  });

  it('/readyz is 503 with a JSON reason when Trino does not answer; /healthz stays 200', async () => {
    const server = await start({ TRINO_HOST: '127.0.0.1', TRINO_PORT: String(await freePort()) });
    const res = await fetch(`${server.origin}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'not_ready', reason: 'trino: trino_unreachable', checks: { trino: 'trino_unreachable' } });
    expect((await fetch(`${server.origin}/healthz`)).status).toBe(200);
  });
});

describe('metrics', () => {
  it('on a loopback listener, /metrics counts the tool calls of both client generations and their Trino queries', async () => {
    const server = await start();
    for (const generation of GENERATIONS) {
      const session = await connectHttp(generation, server.url);
      expect((await session.callTool('execute_query', { sql: 'SELECT 1' })).isError).toBeFalsy();
      expect((await session.callTool('execute_query', { sql: 'SELECT no_such_column' })).structuredContent).toMatchObject({ code: 'QUERY_INVALID' });
      await session.close();
    }
    const res = await fetch(`${server.origin}/metrics`);
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toMatch(/trino_mcp_tool_calls_total\{tool="execute_query",outcome="ok"\} 2\b/);
    expect(body).toMatch(/trino_mcp_tool_calls_total\{tool="execute_query",outcome="QUERY_INVALID"\} 2\b/);
    expect(body).toMatch(/trino_mcp_trino_queries_total\{state="finished"\} 2\b/);
    expect(body).toMatch(/trino_mcp_trino_queries_total\{state="failed"\} 2\b/);
    expect(body).toMatch(/trino_mcp_tool_calls_in_flight\{tool="execute_query"\} 0\b/);
  });

  it('with METRICS_PORT, /metrics is on its own listener only; on a non-loopback MCP listener it is never served', async () => {
    const metricsPort = await freePort();
    const separate = await start({ METRICS_PORT: String(metricsPort) });
    expect((await fetch(`${separate.origin}/metrics`)).status).toBe(404);
    const scraped = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('trino_mcp_process_resident_memory_bytes');
    expect((await fetch(`http://127.0.0.1:${metricsPort}/mcp`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { method: 'POST' })).status).toBe(405);

    const open = await start({ MCP_HOST: '0.0.0.0', MCP_ALLOW_UNAUTHENTICATED: 'true' });
    expect((await fetch(`http://127.0.0.1:${open.port}/metrics`)).status).toBe(404);
  });
});

/** An OTLP/HTTP (JSON) receiver: what the server exports lands in `spans`. */
async function otlpReceiver(): Promise<{ url: string; spans: Array<Record<string, unknown>>; server: Server }> {
  const spans: Array<Record<string, unknown>> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const data = JSON.parse(body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<Record<string, unknown>> }> }> };
        for (const rs of data.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, server };
}

describe('traces', () => {
  it('a browser client may send traceparent and tracestate (CORS preflight)', async () => {
    const server = await start();
    const res = await fetch(server.url, {
      method: 'OPTIONS',
      headers: { Origin: 'http://127.0.0.1:6274', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'traceparent, tracestate' },
    });
    const allowed = (res.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(/\s*,\s*/);
    expect(allowed).toEqual(expect.arrayContaining(['traceparent', 'tracestate']));
  });

  it.each(GENERATIONS)("%s: the HTTP traceparent continues the client's trace, and Trino records the trace id", async (generation) => {
    const receiver = await otlpReceiver();
    try {
      const server = await start({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
      const traceId = [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
      const session = await connectHttp(generation, server.url, { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
      const result = await session.callTool('execute_query', { sql: 'SELECT 42' });
      await session.close();
      const queryId = (result.structuredContent as { queryId: string }).queryId;
      expect((await trinoQueryInfo(queryId)).session['traceToken']).toBe(traceId);
      // The batch of spans is exported at the latest when the server stops.
      expect(await server.stop()).toBe(0);
      const span = receiver.spans.find((s) => s['name'] === 'tools/call execute_query');
      expect(span).toMatchObject({ traceId, parentSpanId: '00f067aa0ba902b7' });
      const attributes = span!['attributes'] as Array<{ key: string; value: { stringValue?: string } }>;
      expect(attributes.find((a) => a.key === 'trino.query_id')?.value.stringValue).toBe(queryId);
    } finally {
      receiver.server.close();
    }
  });
});
