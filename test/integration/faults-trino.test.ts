/**
 * Trino failing under a running server, on a private Trino this file starts (the shared
 * one must never be stopped): killed in the middle of a query, down, and started again on
 * the same port. The server must answer each call clearly and soon (ENGINE_UNAVAILABLE,
 * retryable), recover without a restart, and keep no bookkeeping of the calls Trino's
 * death ended: with one query slot per user, a slot left behind would make the next call
 * BUSY, and work left in flight would be reported (and aborted) at shutdown.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheDir, killGroup, runStatement, startLocalTrino, stopLocalStack, type LocalTrino } from '../harness/trino-server.ts';
import { startHttpServer, stopAllHttpServers, type HttpServerHandle } from '../support/http-server.ts';
import { connectHttp, GENERATIONS, type McpSession, type ToolResult } from '../support/mcp-clients.ts';
import { uniqueName } from '../support/trino-sql.ts';
import { poll } from '../support/wait.ts';

const runDir = join(cacheDir(), 'run', `faults-${process.pid}`);
let trino: LocalTrino | undefined;
/** The second start, kept so that afterAll stops it even when a test gave up waiting for it. */
let restarting: Promise<LocalTrino> | undefined;
let port: number;
let server: HttpServerHandle;
const clients: McpSession[] = [];

/** What a call settles as within `ms`: its result, or `'hang'`. */
async function settled(call: Promise<ToolResult>, ms: number): Promise<ToolResult | 'hang'> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<'hang'>((r) => (timer = setTimeout(() => r('hang'), ms)));
  try {
    return await Promise.race([call, hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** The private Trino's running queries whose text holds `marker`. */
async function runningWith(marker: string): Promise<number> {
  const rows = await runStatement(
    trino!.url,
    `SELECT count(*) FROM system.runtime.queries WHERE state = 'RUNNING' AND strpos(query, concat('${marker.slice(0, 1)}', '${marker.slice(1)}')) > 0`,
    { user: 'trino-mcp-test' },
  );
  return Number(rows[0]![0]);
}

/** Every private Trino started here, each with the Keycloak the harness starts beside it: all stopped at the end. */
const stacks: LocalTrino[] = [];

beforeAll(async () => {
  trino = await startLocalTrino({ runDir, persistent: false, log: () => undefined });
  stacks.push(trino);
  port = Number(new URL(trino.url).port);
  server = await startHttpServer({
    TRINO_HOST: '127.0.0.1',
    TRINO_PORT: String(port),
    TRINO_SCHEME: 'http',
    // One slot per user and no waiting for one: a slot the server failed to give back shows as BUSY at once.
    TRINO_MAX_CONCURRENT_QUERIES_PER_USER: '1',
    TRINO_QUEUE_TIMEOUT: '0',
    MCP_SHUTDOWN_TIMEOUT: '1',
  });
  for (const generation of GENERATIONS) clients.push(await connectHttp(generation, server.url));
}, 240_000);

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => undefined);
  await stopAllHttpServers();
  const second = await restarting?.catch(() => undefined);
  if (second && !stacks.includes(second)) stacks.push(second);
  await Promise.all(stacks.map((t) => stopLocalStack(t)));
  rmSync(runDir, { recursive: true, force: true });
}, 300_000);

describe('a private Trino that dies and comes back, under one running server', () => {
  it('the control: both clients are served by the private Trino', async () => {
    for (const c of clients) {
      const r = await c.callTool('execute_query', { sql: 'SELECT count(*) FROM tpch.tiny.nation' });
      expect(r.structuredContent?.['rows']).toEqual([[25]]);
    }
  });

  it('Trino killed (SIGKILL) mid-query → the call ends ENGINE_UNAVAILABLE (retryable) within seconds; no hang', async () => {
    const marker = uniqueName('fault_kill');
    const call = clients[0]!.callTool('execute_query', { sql: `SELECT sum(extendedprice) FROM tpch.sf1000.lineitem /* ${marker} */` });
    call.catch(() => undefined);
    expect(await poll(() => runningWith(marker), (n) => n === 1, { timeoutMs: 30_000, intervalMs: 100 })).toBe(1);
    const killed = Date.now();
    killGroup(trino!.pid, 'SIGKILL');
    const r = await settled(call, 10_000);
    console.log(`faults: Trino killed mid-query → the call answered after ${Date.now() - killed} ms`);
    expect(r).not.toBe('hang');
    expect((r as ToolResult).isError).toBe(true);
    expect((r as ToolResult).structuredContent).toMatchObject({ code: 'ENGINE_UNAVAILABLE', retryable: true });
  });

  it.each(GENERATIONS)('%s: Trino down → ENGINE_UNAVAILABLE (retryable) within seconds, never BUSY; the server stays up', async (generation) => {
    const client = clients[GENERATIONS.indexOf(generation)]!;
    for (const tool of ['list_catalogs', 'execute_query'] as const) {
      const t0 = Date.now();
      const r = await settled(client.callTool(tool, tool === 'execute_query' ? { sql: 'SELECT 1' } : {}), 5_000);
      console.log(`faults: Trino down → ${tool} answered after ${Date.now() - t0} ms`);
      expect(r).not.toBe('hang');
      expect((r as ToolResult).structuredContent).toMatchObject({ code: 'ENGINE_UNAVAILABLE', retryable: true });
    }
    expect(await poll(() => fetch(`${server.origin}/readyz`).then((r) => r.status), (s) => s === 503, { timeoutMs: 10_000, intervalMs: 200 })).toBe(503);
    expect((await fetch(`${server.origin}/status`)).status).toBe(200);
  });

  it('Trino started again on the same port → the same server process recovers without a restart; no slot was left behind', async () => {
    const pid = server.process.pid;
    restarting = startLocalTrino({ runDir, persistent: false, log: () => undefined, port });
    trino = await restarting;
    stacks.push(trino);
    const up = Date.now();
    // A Trino that has just come up may still refuse work for a moment; the server must get there by itself.
    const first = await poll(
      () => clients[0]!.callTool('execute_query', { sql: 'SELECT count(*) FROM tpch.tiny.region' }),
      (r) => !r.isError,
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    console.log(`faults: Trino ready again → first answer from it ${Date.now() - up} ms later, same server process`);
    expect(first.structuredContent).toMatchObject({ rows: [[5]] });
    expect(await poll(() => fetch(`${server.origin}/readyz`).then((r) => r.status), (s) => s === 200, { timeoutMs: 30_000, intervalMs: 200 })).toBe(200);
    expect(server.process.pid).toBe(pid);
    expect(server.process.exitCode).toBeNull();
    // With one slot per user, a slot the killed call kept would make these BUSY.
    for (const c of clients) expect((await c.callTool('list_catalogs')).isError).toBeFalsy();
    // Trino's start alone takes 25 s on an idle machine and minutes on a loaded one.
  }, 480_000);

  it('no work is left in flight: SIGTERM exits 0 at once, with nothing to abort', async () => {
    for (const c of clients.splice(0)) await c.close();
    expect(await server.stop('SIGTERM', 15_000)).toBe(0);
    expect(server.logs().filter((l) => l['msg'] === 'aborting work still in flight after the grace period')).toEqual([]);
  });
});
