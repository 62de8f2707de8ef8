import 'reflect-metadata';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport, type CallToolResult } from '@modelcontextprotocol/server';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Inflight } from '../../src/adapters/lifecycle/inflight.ts';
import { allOf } from '../../src/adapters/mcp/call-observer.ts';
import { TrinoMcpServer } from '../../src/adapters/mcp/trino-mcp-server.ts';
import { countingQueryEngine } from '../../src/adapters/metrics/counting-query-engine.ts';
import { PromMetrics } from '../../src/adapters/metrics/prom-metrics.ts';
import { startTracing, type Tracing } from '../../src/adapters/tracing/otel-tracing.ts';
import { Access } from '../../src/domain/access.ts';
import { QuerySlots } from '../../src/use-cases/query-slots.ts';
import { CapturingLogger } from '../fakes/capturing-logger.ts';
import { FakeQueryPolicy } from '../fakes/fake-query-policy.ts';
import { InMemoryQueryEngine } from '../fakes/in-memory-query-engine.ts';
import { ManualTimers } from '../fakes/manual-timers.ts';
import { mcpSettingsOf, unitSettings, useCasesOver } from './support/mcp-server.ts';
import { poll } from '../support/wait.ts';

const OK_SQL = 'SELECT 1';
const BAD_SQL = 'SELECT nope';
const HANG_SQL = 'SELECT hang';
const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';

let exporter: InMemorySpanExporter;
let tracing: Tracing;
beforeAll(() => {
  exporter = new InMemorySpanExporter();
  tracing = startTracing({ serviceVersion: '0.0.0-test', exporter: 'otlp', spanExporter: exporter });
});
afterAll(async () => {
  await tracing.shutdown();
});

let engine: InMemoryQueryEngine;
let metrics: PromMetrics;
let client: Client;
let close: () => Promise<void>;

async function connect(slots?: QuerySlots): Promise<void> {
  const settings = unitSettings();
  const observed = countingQueryEngine(tracing.wrapEngine(engine), (state) => metrics.trinoQuery(state));
  const servers = new TrinoMcpServer(
    mcpSettingsOf(settings),
    new Access({ allowWrites: false, requiredScopes: [], writeScope: undefined }),
    useCasesOver(observed, settings, new FakeQueryPolicy(), slots ? { slots } : {}),
    new Inflight(),
    new CapturingLogger(),
    allOf([metrics.callObserver, tracing.callObserver]),
  );
  const server = servers.create({ principal: { subject: 'alice-secret-user', scopes: [], via: 'test' } });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  client = new Client({ name: 'unit-test', version: '1.0.0' });
  await client.connect(clientSide);
  close = async () => {
    await client.close();
    await server.close();
  };
}

beforeEach(async () => {
  exporter.reset();
  engine = new InMemoryQueryEngine()
    .define(OK_SQL, { columns: [{ name: 'x', type: 'integer' }], rows: [[1]] })
    .define(BAD_SQL, { error: { errorName: 'COLUMN_NOT_FOUND', message: 'no column nope' } })
    .define(HANG_SQL, { hang: true });
  metrics = new PromMetrics();
  await connect();
});
afterEach(async () => {
  await close();
});

const query = (sql: string, meta?: Record<string, unknown>, signal?: AbortSignal) =>
  client.callTool({ name: 'execute_query', arguments: { sql }, ...(meta ? { _meta: meta } : {}) }, signal ? { signal } : {}) as Promise<CallToolResult>;

/** Polls until `probe` holds (bounded); the caller asserts on the answer. */
const until = (probe: () => boolean | Promise<boolean>) => poll(probe, Boolean, { timeoutMs: 5_000, intervalMs: 10 });

function onlySpan(): ReadableSpan {
  const spans = exporter.getFinishedSpans();
  expect(spans).toHaveLength(1);
  return spans[0]!;
}

async function metricValue(name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return value?.value;
}

describe('traces', () => {
  it("continue the client's trace from _meta.traceparent, with the Trino query id, and send the trace id to Trino", async () => {
    const result = await query(OK_SQL, { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01` });
    expect(result.isError).toBeFalsy();
    const span = onlySpan();
    expect(span.name).toBe('tools/call execute_query');
    expect(span.spanContext().traceId).toBe(CLIENT_TRACE);
    expect(span.parentSpanContext?.spanId).toBe(CLIENT_SPAN);
    expect(span.attributes['trino.query_id']).toBe('fake_1');
    expect(span.attributes['trino_mcp.outcome']).toBe('ok');
    expect(engine.calls.map((c) => c.traceToken)).toEqual([CLIENT_TRACE]);
  });

  it('start a trace of their own without a traceparent, and Trino gets that trace id', async () => {
    await query(OK_SQL);
    const span = onlySpan();
    expect(span.parentSpanContext).toBeUndefined();
    expect(span.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(engine.calls[0]!.traceToken).toBe(span.spanContext().traceId);
  });

  it.each([
    ['garbage', 'not-a-traceparent'],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-${CLIENT_SPAN}-01`],
    ['an injected header', `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01\r\nX-Trino-User: admin`],
    ['upper-case hex', `00-${CLIENT_TRACE.toUpperCase()}-${CLIENT_SPAN}-01`],
    ['a 64 KiB value', `00-${'a'.repeat(65_536)}-${CLIENT_SPAN}-01`],
  ])('ignore a traceparent with %s: the call gets a fresh trace and Trino never sees the text', async (_label, traceparent) => {
    await query(OK_SQL, { traceparent });
    const span = onlySpan();
    expect(span.parentSpanContext).toBeUndefined();
    const token = engine.calls[0]!.traceToken!;
    expect(token).toMatch(/^[0-9a-f]{32}$/);
    expect(token).toBe(span.spanContext().traceId);
    expect(token).not.toBe(CLIENT_TRACE);
  });

  it('mark a failed call as an error, with its code and query id', async () => {
    const result = await query(BAD_SQL);
    expect(result.isError).toBe(true);
    const span = onlySpan();
    expect(span.status.code).toBe(2); // SpanStatusCode.ERROR
    expect(span.attributes['trino_mcp.outcome']).toBe('QUERY_INVALID');
    expect(span.attributes['trino.query_id']).toBe('fake_1');
  });
});

describe('metrics', () => {
  it('count calls by tool and outcome, time them, and count Trino queries by final state; no user in any label', async () => {
    await query(OK_SQL);
    await query(BAD_SQL);
    await query(OK_SQL);
    expect(await metricValue('trino_mcp_tool_calls_total', { tool: 'execute_query', outcome: 'ok' })).toBe(2);
    expect(await metricValue('trino_mcp_tool_calls_total', { tool: 'execute_query', outcome: 'QUERY_INVALID' })).toBe(1);
    expect(await metricValue('trino_mcp_trino_queries_total', { state: 'finished' })).toBe(2);
    expect(await metricValue('trino_mcp_trino_queries_total', { state: 'failed' })).toBe(1);
    const { body, contentType } = await metrics.render();
    expect(contentType).toMatch(/^text\/plain/);
    expect(body).toMatch(/trino_mcp_tool_call_duration_seconds_count\{tool="execute_query",outcome="ok"\} 2/);
    expect(body).toContain('trino_mcp_process_cpu_seconds_total');
    expect(body).not.toContain('alice-secret-user');
    expect(body).not.toContain(OK_SQL);
  });

  it('show a call in flight while it runs, and a cancelled query once it is aborted', async () => {
    const abort = new AbortController();
    const pending = query(HANG_SQL, undefined, abort.signal).catch(() => undefined);
    expect(await until(async () => (await metricValue('trino_mcp_tool_calls_in_flight', { tool: 'execute_query' })) === 1), 'the call in flight').toBe(true);
    abort.abort();
    await pending;
    expect(await until(async () => (await metricValue('trino_mcp_tool_calls_in_flight', { tool: 'execute_query' })) === 0), 'the call settled').toBe(true);
    expect(await until(async () => (await metricValue('trino_mcp_trino_queries_total', { state: 'cancelled' })) === 1), 'the cancelled query counted').toBe(true);
  });

  it('time waits in the queue of the concurrency caps, and count refusals', async () => {
    await close();
    const timers = new ManualTimers();
    const slots = new QuerySlots({ maxConcurrent: 1, maxConcurrentPerUser: 1, maxQueued: 1, queueTimeoutMs: 1_000 }, timers.start, {
      waited: (ms, outcome) => metrics.slotWait(ms, outcome),
      refused: () => metrics.slotRefused(),
    });
    await connect(slots);
    const abort = new AbortController();
    const holder = query(HANG_SQL, undefined, abort.signal).catch(() => undefined);
    expect(await until(() => slots.usage.running === 1), 'the first call holding the slot').toBe(true);
    const waiter = query(OK_SQL);
    expect(await until(() => slots.usage.queued === 1), 'the second call queued').toBe(true);
    const refused = await query(OK_SQL); // the queue is full: refused at once
    expect(refused.structuredContent).toMatchObject({ code: 'BUSY' });
    timers.fireAll();
    expect((await waiter).structuredContent).toMatchObject({ code: 'BUSY' });
    abort.abort();
    await holder;
    const body = (await metrics.render()).body;
    expect(body).toMatch(/trino_mcp_query_slot_wait_seconds_count\{outcome="timeout"\} 1/);
    expect(body).toMatch(/trino_mcp_query_slot_refusals_total 1/);
  });
});
