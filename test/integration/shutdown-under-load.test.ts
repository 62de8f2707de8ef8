/**
 * SIGTERM under load: 20 clients (both generations) with calls in flight, short ones and
 * ones that run for minutes, when the signal comes. Every call sent before the signal
 * settles: with its result, or with a clean error (a CANCELLED tool result once the grace
 * period is over); none hangs. The process exits 0 within MCP_SHUTDOWN_TIMEOUT and the
 * drain after it, and no Trino query of this server is left running. (One call in flight
 * is covered in http-transport.test.ts.)
 */
import { randomUUID } from 'node:crypto';
import { afterAll, expect, it } from 'vitest';
import { startHttpServer, stopAllHttpServers } from '../support/http-server.ts';
import { connectHttp, GENERATIONS, type ToolResult } from '../support/mcp-clients.ts';
import { slowSql, trinoQuery, uniqueName } from '../support/trino-sql.ts';
import { poll } from '../support/wait.ts';

afterAll(stopAllHttpServers);

const CLIENTS = 20;
const GRACE_S = 3;

it(`${CLIENTS} clients with calls in flight at SIGTERM: each call settles cleanly, exit 0, no query left running`, async () => {
  const trinoUser = `trino-mcp-stop-${randomUUID().slice(0, 8)}`;
  const server = await startHttpServer({ TRINO_USER: trinoUser, MCP_SHUTDOWN_TIMEOUT: String(GRACE_S), TRINO_QUEUE_TIMEOUT: '60' });
  const clients = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => connectHttp(GENERATIONS[i % 2]!, server.url)));
  const running = async () =>
    Number((await trinoQuery(`SELECT count(*) FROM system.runtime.queries WHERE "user" = '${trinoUser}' AND state NOT IN ('FINISHED', 'FAILED')`))[0]![0]);
  // Half the calls run for minutes (they can only end by the shutdown), half are short.
  const calls = clients.map((c, i) => {
    const args = i % 2 === 0 ? { sql: slowSql(uniqueName('stop')) } : { sql: 'SELECT count(*) FROM tpch.tiny.lineitem' };
    return c.callTool('execute_query', args).then(
      (r: ToolResult) => ({ ok: true as const, r }),
      (err: unknown) => ({ ok: false as const, err: String(err) }),
    );
  });
  // The signal comes once Trino runs some of them.
  expect(await poll(running, (n) => n >= 4, { timeoutMs: 30_000, intervalMs: 100 })).toBeGreaterThanOrEqual(4);
  const exit = server.stop('SIGTERM', 60_000);
  const outcomes = await Promise.race([Promise.all(calls), new Promise<'hang'>((r) => setTimeout(() => r('hang'), 30_000))]);
  expect(outcomes).not.toBe('hang');
  const settled = outcomes as Awaited<(typeof calls)[number]>[];
  const unclean = settled.filter((o) => !o.ok || (o.r.isError && o.r.structuredContent?.['code'] !== 'CANCELLED'));
  expect(unclean).toEqual([]);
  // The short ones had their answer (they finished within the grace period, or waited in the queue and were cancelled).
  for (const o of settled) if (o.ok && !o.r.isError) expect(o.r.structuredContent?.['rows']).toEqual([[60175]]);
  expect(settled.filter((o) => o.ok && o.r.isError).length).toBeGreaterThanOrEqual(CLIENTS / 2);
  expect(await exit).toBe(0);
  expect(await poll(running, (n) => n === 0, { timeoutMs: 15_000, intervalMs: 250 })).toBe(0);
  for (const c of clients) await c.close().catch(() => undefined);
}, 180_000);
