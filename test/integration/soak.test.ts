/**
 * Soak: SOAK_CLIENTS (50) MCP clients, each its own principal (HMAC OAuth), call the tools
 * of SOAK_MIX without pause, after a warm-up, for SOAK_SECONDS (30 here; `npm run soak` runs 300) against the
 * built server and real Trino. Held: no 5xx answer, no tool error but the ones a row
 * provokes on purpose, RSS at the end within ±15 % of its value after warm-up, no Trino
 * query of this server left running. Prints a summary; SOAK_SEED replays a run's picks.
 * The server runs with the image's MALLOC_ARENA_MAX=2 (test/load/inspector.ts: arenaEnv).
 * Memory is read after a full garbage collection (through the inspector), at the end of
 * the warm-up and at the end: what is compared is memory held, not garbage V8 had no reason
 * to collect yet.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, expect, it } from 'vitest';
import { startHttpServer, stopAllHttpServers } from '../support/http-server.ts';
import { connectHttp, GENERATIONS, type McpSession } from '../support/mcp-clients.ts';
import { trinoQuery } from '../support/trino-sql.ts';
import { poll } from '../support/wait.ts';
import { freePort } from '../harness/trino-server.ts';
import { allocatorLabel, arenaEnv, heldMemory, inspectorUrl, type HeldMemory } from '../load/inspector.ts';
import { rng, rssOf, seedFrom } from '../load/prng.ts';
import { pickRow, SOAK_MIX } from '../load/soak-mix.ts';

afterAll(stopAllHttpServers);

const SECONDS = Number(process.env['SOAK_SECONDS'] ?? 30);
const CLIENTS = Number(process.env['SOAK_CLIENTS'] ?? 50);
const SEED = seedFrom(process.env['SOAK_SEED']);
/**
 * Warm-up, before the SOAK_SECONDS that are measured: until every client has had WARMUP_CALLS
 * answers (JIT, caches, connection pools and the query queue reach their steady state), at
 * most WARMUP_MAX_MS. On a loaded shared Trino one call can take seconds, so a fixed
 * warm-up time would measure the ramp-up instead.
 */
const WARMUP_CALLS = 3;
const WARMUP_MAX_MS = 120_000;
const SECRET = 'soak-test-secret-of-at-least-thirty-two-bytes';

const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

const CURSOR_TTL_S = 10;

it(`${CLIENTS} clients mixing the tools for ${SECONDS} s: no 5xx, no unexpected tool error, RSS within ±15 %, no query left running`, async () => {
  // The server's own Trino user for this run: its queries are told apart from everyone else's on the shared Trino.
  const trinoUser = `trino-mcp-soak-${randomUUID().slice(0, 8)}`;
  const inspectPort = await freePort();
  const server = await startHttpServer({
    NODE_OPTIONS: `--inspect=127.0.0.1:${inspectPort}`,
    OAUTH_ENABLED: 'true',
    OAUTH_PROVIDER: 'hmac',
    JWT_SECRET: SECRET,
    TRINO_USER: trinoUser,
    // 50 clients share 16 query slots: they queue (as designed) rather than fail with BUSY.
    TRINO_QUEUE_TIMEOUT: '120',
    TRINO_MAX_QUEUED_QUERIES: String(CLIENTS * 2),
    // Results cut at a limit wait for fetch_more until their cursor expires: a short TTL lets
    // the end of the run check that every one of them was then cancelled.
    TRINO_CURSOR_TTL: String(CURSOR_TTL_S),
    ...arenaEnv(),
  });
  const pid = server.process.pid!;
  const inspector = await inspectorUrl(inspectPort);
  const statuses = new Map<number, number>();
  const counting: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    return res;
  };
  const token = (sub: string) =>
    new SignJWT({ scope: '' }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setAudience(server.url).setIssuedAt().setExpirationTime('2h').sign(new TextEncoder().encode(SECRET));
  const sessions: McpSession[] = [];
  for (let i = 0; i < CLIENTS; i++) {
    const headers = { authorization: `Bearer ${await token(`soak-user-${i}`)}` };
    sessions.push(await connectHttp(GENERATIONS[i % GENERATIONS.length]!, server.url, { headers, fetch: counting }));
  }

  const calls = new Map<string, { n: number; ms: number[] }>();
  const unexpected: string[] = [];
  // Errors a row's contract allows for how long it took (soak-mix: allowed).
  const allowed: string[] = [];
  const rss: Array<{ at: number; bytes: number }> = [];
  const started = Date.now();
  let end = Number.POSITIVE_INFINITY;
  let warmedAt = 0;
  let baseline: HeldMemory = { rss: 0, heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0 };
  const answered = sessions.map(() => 0);
  let unexpectedBefore = 0;
  const warmedUp = (async () => {
    await poll(() => Math.min(...answered), (n) => n >= WARMUP_CALLS, { timeoutMs: WARMUP_MAX_MS, intervalMs: 100 });
    warmedAt = Date.now() - started;
    baseline = await heldMemory(inspector);
    end = Date.now() + SECONDS * 1000;
    // Counted from here: the warm-up's calls are not the soak's.
    calls.clear();
    unexpectedBefore = unexpected.length;
  })();
  const sampler = setInterval(() => void rssOf(pid).then((bytes) => rss.push({ at: Date.now() - started, bytes }), () => undefined), 1_000);
  try {
    await Promise.all(
      sessions.map(async (session, i) => {
        const rnd = rng((SEED + i * 7919) >>> 0);
        while (Date.now() < end) {
          const row = pickRow(SOAK_MIX, rnd);
          const t0 = performance.now();
          let outcome: string;
          try {
            const r = await row.run(session, rnd);
            outcome = r.isError ? String(r.structuredContent?.['code'] ?? 'error without a code') : 'ok';
          } catch (err) {
            outcome = `client error: ${(err as Error).message.slice(0, 200)}`;
          }
          const stat = calls.get(row.name) ?? { n: 0, ms: [] };
          stat.n += 1;
          stat.ms.push(performance.now() - t0);
          calls.set(row.name, stat);
          if (row.allowed?.(outcome, performance.now() - t0, { cursorTtlMs: CURSOR_TTL_S * 1000 })) allowed.push(`${row.name}: ${outcome}`);
          else if (outcome !== (row.expect ?? 'ok')) unexpected.push(`${row.name}: ${outcome}`);
          answered[i]! += 1;
        }
      }),
    );
    await warmedUp;
  } finally {
    clearInterval(sampler);
  }
  const held = await heldMemory(inspector);
  rss.push({ at: Date.now() - started, bytes: held.rss });
  for (const s of sessions) await s.close().catch(() => undefined);

  const running = () => trinoQuery(`SELECT count(*) FROM system.runtime.queries WHERE "user" = '${trinoUser}' AND state NOT IN ('FINISHED', 'FAILED')`);
  const left = Number((await poll(running, (rows) => Number(rows[0]![0]) === 0, { timeoutMs: CURSOR_TTL_S * 1000 + 15_000, intervalMs: 250 }))[0]![0]);
  const total = Number((await trinoQuery(`SELECT count(*) FROM system.runtime.queries WHERE "user" = '${trinoUser}'`))[0]![0]);

  const drift = (held.rss - baseline.rss) / baseline.rss;
  const heapDrift = (held.heapUsed - baseline.heapUsed) / baseline.heapUsed;
  const duringWarmup = unexpectedBefore;
  const all = [...calls.values()].flatMap((c) => c.ms).sort((a, b) => a - b);
  const fiveXx = [...statuses].filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0);
  const summary = [
    `soak: ${CLIENTS} clients, ${SECONDS} s after warm-up, seed ${SEED}`,
    `  calls after warm-up: ${all.length} (${(all.length / SECONDS).toFixed(1)}/s), p50 ${percentile(all, 0.5).toFixed(0)} ms, p95 ${percentile(all, 0.95).toFixed(0)} ms, p99 ${percentile(all, 0.99).toFixed(0)} ms`,
    ...[...calls].map(([name, c]) => `    ${name}: ${c.n}`),
    `  HTTP statuses: ${[...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(', ')}; 5xx: ${fiveXx}`,
    `  unexpected tool errors: ${unexpected.length} (${duringWarmup} in the warm-up)${unexpected.length ? ` (first: ${unexpected.slice(0, 3).join(' | ')})` : ''}`,
    `  allowed by their row's contract: ${allowed.length}${allowed.length ? ` (${[...new Set(allowed)].join(', ')})` : ''}`,
    `  after a full GC (${allocatorLabel()}): RSS ${mb(baseline.rss)} after warm-up (${(warmedAt / 1000).toFixed(0)} s, ${WARMUP_CALLS} answers per client), ${mb(held.rss)} at the end (${(drift * 100).toFixed(1)} %); ` +
      `heap used ${mb(baseline.heapUsed)} → ${mb(held.heapUsed)} (${(heapDrift * 100).toFixed(1)} %), heap total ${mb(baseline.heapTotal)} → ${mb(held.heapTotal)}, ` +
      `external ${mb(baseline.external)} → ${mb(held.external)}; RSS max while running ${mb(Math.max(...rss.map((s) => s.bytes)))}`,
    `  Trino queries of this server: ${total}, left running: ${left}`,
  ].join('\n');
  console.log(summary);

  expect(fiveXx, summary).toBe(0);
  expect(unexpected, summary).toEqual([]);
  expect(Math.abs(drift), summary).toBeLessThanOrEqual(0.15);
  expect(left, summary).toBe(0);
  expect(all.length, summary).toBeGreaterThan(CLIENTS);
}, SECONDS * 1000 + WARMUP_MAX_MS + CURSOR_TTL_S * 1000 + 180_000);
