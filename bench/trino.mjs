// The server against the limit, on real Trino, in one run: every contender of
// bench/trino-peers.mjs called in turn (alternating, the order rotated every round) so that
// the load of a shared machine hits all of them alike; ratios are of medians of the same
// run. Server CPU per call comes from /proc (user + system of the server process).
// BENCH_CALLS scales the number of calls (default 1 = as many as the targets name).
import { spawn } from 'node:child_process';
import autocannon from 'autocannon';
import { cpuMs, freePort, httpServer, localJwks, rawRest, rssMb, SERVER_BIN, stdioServer, trinoClient, trinoUrl, undiciLoop, wireBytes } from './trino-peers.mjs';
import { allocatorLabel, arenaEnv, heldMemory, inspectorUrl } from '../test/load/inspector.ts';

const SCALE = Number(process.env.BENCH_CALLS ?? 1);
const MiB = 1024 * 1024;
/** Lets the server return 10,000 rows of orders whole. */
const SERVER_LIMITS = { TRINO_MAX_ROWS: '10000', TRINO_MAX_RESULT_BYTES: String(32 * MiB) };

const WORKLOADS = [
  { name: 'SELECT 1', sql: 'SELECT 1', rows: 1, calls: 300 },
  { name: '100 rows', sql: 'SELECT * FROM tpch.sf1.orders LIMIT 100', rows: 100, calls: 100 },
  { name: '10,000 rows', sql: 'SELECT * FROM tpch.sf1.orders LIMIT 10000', rows: 10_000, calls: 60 },
];

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];

/** Alternating calls of every contender; medians, p95 and server CPU per call. */
async function alternate(workload, contenders) {
  const n = Math.max(5, Math.round(workload.calls * SCALE));
  for (const c of contenders) for (let i = 0; i < 5; i++) await c.call(workload.sql); // warm-up
  const times = contenders.map(() => []);
  const cpuBefore = contenders.map((c) => (c.pid ? cpuMs(c.pid) : 0));
  // The in-process contenders' CPU (the bench's own, around their calls only): what the
  // least a client spends per call costs on this machine under its current load.
  const ownCpu = contenders.map(() => 0);
  for (let round = 0; round < n; round++) {
    for (let k = 0; k < contenders.length; k++) {
      const i = (round + k) % contenders.length;
      const t = performance.now();
      const cpu = contenders[i].pid ? undefined : process.cpuUsage();
      const out = await contenders[i].call(workload.sql);
      times[i].push(performance.now() - t);
      if (cpu) {
        const d = process.cpuUsage(cpu);
        ownCpu[i] += (d.user + d.system) / 1000;
      }
      const rows = typeof out === 'number' ? out : out.rowCount;
      if (rows !== workload.rows) throw new Error(`${contenders[i].name}: ${rows} rows for ${workload.name}, expected ${workload.rows}`);
    }
  }
  return contenders.map((c, i) => {
    const sorted = times[i].sort((a, b) => a - b);
    return {
      contender: c.name,
      median: quantile(sorted, 0.5),
      p95: quantile(sorted, 0.95),
      cpuPerCallMs: c.pid ? (cpuMs(c.pid) - cpuBefore[i]) / n : ownCpu[i] / n,
    };
  });
}

/** Median of 10 of `spawn(args)` → first byte on stdout (the first spawn of each fills the compile cache), and the process's CPU until then. */
async function startsOf(args, env, firstInput) {
  const times = [];
  const cpu = [];
  for (let i = 0; i < 11; i++) {
    const t = performance.now();
    const child = spawn(process.execPath, args, { env, stdio: ['pipe', 'pipe', 'ignore'], cwd: new URL('..', import.meta.url).pathname });
    if (firstInput) child.stdin.write(firstInput);
    await new Promise((r) => child.stdout.once('data', r));
    const ms = performance.now() - t;
    const used = cpuMs(child.pid);
    await new Promise((r) => (child.once('exit', r), child.kill('SIGKILL')));
    if (i === 0) continue;
    times.push(ms);
    cpu.push(used);
  }
  times.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  return { median: quantile(times, 0.5), cpuMedian: quantile(cpu, 0.5) };
}

/**
 * stdio start → `initialize` answered; beside it, in the same minute, the floor under it: a
 * Node.js process that only imports the MCP SDK's server package (and zod, which it loads)
 * and writes one byte.
 */
async function startup(server) {
  const env = { PATH: process.env.PATH ?? '', TRINO_HOST: new URL(server).hostname, TRINO_PORT: new URL(server).port, TRINO_SSL: 'false' };
  const initialize = `${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'b', version: '1' } } })}\n`;
  const started = await startsOf([SERVER_BIN], env, initialize);
  const sdkOnly = await startsOf(['--input-type=module', '-e', "import('node:module').then((m) => m.enableCompileCache?.()).then(() => import('@modelcontextprotocol/server')).then(() => process.stdout.write('.'))"], env);
  return { ...started, sdkFloor: sdkOnly.median };
}

/**
 * The HTTP server with the image's allocator settings (Dockerfile; test/load/inspector.ts:
 * LOAD_MALLOC_ARENA_MAX= and LOAD_MALLOC_MMAP_THRESHOLD= empty measure glibc's defaults), and with the per-principal rate limit off: all 50
 * connections carry one token, and what is measured is what the server can serve, not the
 * 429s of RATE_LIMIT_PER_MINUTE (on by default over HTTP).
 */
const THROUGHPUT_ENV = { RATE_LIMIT_PER_MINUTE: '0', ...arenaEnv() };

/**
 * Authenticated tools/list at 50 connections for 20 s; the server's RSS before and after, each
 * after a full garbage collection (through the inspector, as the soak and the fuzz do): what is
 * compared is memory held, not garbage V8 had no reason to collect yet. RSS 2 s after the run
 * without one is printed too.
 */
async function toolsList(server, jwks) {
  const inspectPort = await freePort();
  const http = await httpServer(server, { ...THROUGHPUT_ENV, NODE_OPTIONS: `--inspect=127.0.0.1:${inspectPort}` }, jwks);
  try {
    const inspector = await inspectorUrl(inspectPort);
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} });
    await autocannon({ url: http.url, method: 'POST', headers: http.headers, body, connections: 10, duration: 2 }); // warm-up
    const before = (await heldMemory(inspector)).rss / MiB;
    const cpu0 = cpuMs(http.pid);
    const duration = Math.max(2, Math.round(20 * SCALE));
    const r = await autocannon({ url: http.url, method: 'POST', headers: http.headers, body, connections: 50, duration });
    const cpuPerRequestMs = (cpuMs(http.pid) - cpu0) / Math.max(1, r.requests.total);
    await new Promise((res) => setTimeout(res, 2000));
    const rawAfter = rssMb(http.pid);
    const after = (await heldMemory(inspector)).rss / MiB;
    return { reqPerSec: r.requests.average, errors: r.errors + r.non2xx + r.timeouts, rssBefore: before, rssAfter: after, rawAfter, cpuPerRequestMs };
  } finally {
    await http.stop();
  }
}

/**
 * 20 capped reads of lineitem over stdio: RSS growth (each after a full GC, as for tools/list;
 * the stdio server keeps glibc's defaults, as `npx trino-mcp` runs), and when each Trino query was final. A
 * read cut at its limit keeps its query open for fetch_more until its cursor expires
 * (TRINO_CURSOR_TTL, here CAPPED_TTL_S): what is measured is how long after that expiry the
 * query was final, since the answer itself promises the query to whoever holds the cursor.
 */
const CAPPED_TTL_S = 2;

async function cappedReads(server) {
  const inspectPort = await freePort();
  const stdio = await stdioServer(server, { TRINO_CURSOR_TTL: String(CAPPED_TTL_S), NODE_OPTIONS: `--inspect=127.0.0.1:${inspectPort}` });
  try {
    const inspector = await inspectorUrl(inspectPort);
    await stdio.call('SELECT 1');
    const before = (await heldMemory(inspector)).rss / MiB;
    const queries = [];
    for (let i = 0; i < 20; i++) {
      const sent = Date.now();
      const r = await stdio.call('SELECT * FROM tpch.sf1.lineitem');
      if (!r.truncated || !r.queryId || !r.cursor) throw new Error('expected a truncated read with a queryId and a cursor');
      queries.push({ queryId: r.queryId, expiresBy: sent + CAPPED_TTL_S * 1000 });
    }
    // When each query became final, by Trino's own clock (same machine): its endTime.
    let slowestFinalMs = 0;
    for (const q of queries) {
      let info;
      for (const started = Date.now(); ; await new Promise((res) => setTimeout(res, 50))) {
        info = await (await fetch(`${server}/v1/query/${q.queryId}`, { headers: { 'X-Trino-User': 'trino-mcp-bench' } })).json();
        if (['FINISHED', 'FAILED'].includes(info.state) || Date.now() - started > 30_000) break;
      }
      const endedAt = info.queryStats?.endTime ? Date.parse(info.queryStats.endTime) : Date.now();
      slowestFinalMs = Math.max(slowestFinalMs, endedAt - q.expiresBy);
    }
    const after = (await heldMemory(inspector)).rss / MiB;
    return { rssBefore: before, rssAfter: after, slowestFinalMs };
  } finally {
    await stdio.stop();
  }
}

export async function trinoBench() {
  const server = trinoUrl();
  const jwks = await localJwks();
  const stdio = await stdioServer(server, SERVER_LIMITS);
  // TRINO_HTTP_COMPRESSION is decided by measurement: the same server with gzip from Trino, beside it.
  const gzip = await stdioServer(server, { ...SERVER_LIMITS, TRINO_HTTP_COMPRESSION: 'true' });
  const http = await httpServer(server, SERVER_LIMITS);
  const oauth = await httpServer(server, SERVER_LIMITS, jwks);
  // BENCH_BEFORE_BIN: an older build in the same run, alternating with the others (before/after).
  const beforeBin = process.env.BENCH_BEFORE_BIN;
  const before = beforeBin
    ? [await stdioServer(server, SERVER_LIMITS, beforeBin), await httpServer(server, SERVER_LIMITS, jwks, beforeBin)]
    : [];
  const contenders = [
    { name: 'raw REST loop', call: rawRest(server) },
    { name: 'trino-client direct', call: trinoClient(server) },
    { name: 'undici loop (Node floor)', call: undiciLoop(server) },
    { name: 'server, stdio', call: stdio.call, pid: stdio.pid },
    { name: 'server, stdio, gzip from Trino', call: gzip.call, pid: gzip.pid },
    { name: 'server, HTTP no auth', call: http.call, pid: http.pid },
    { name: 'server, HTTP OAuth (JWKS)', call: oauth.call, pid: oauth.pid },
    ...(before.length
      ? [
          { name: 'before, stdio', call: before[0].call, pid: before[0].pid },
          { name: 'before, HTTP OAuth (JWKS)', call: before[1].call, pid: before[1].pid },
        ]
      : []),
  ];
  // The two measures that do not involve Trino come first, before the workloads keep Trino's
  // JVM busy for a while after them (it shares the machine's two cores).
  const list = await toolsList(server, jwks);
  const start = await startup(server);
  const table = {};
  try {
    for (const w of WORKLOADS) table[w.name] = await alternate(w, contenders);
  } finally {
    await Promise.all([stdio.stop(), gzip.stop(), http.stop(), oauth.stop(), ...before.map((b) => b.stop())]);
  }
  await jwks.close();
  const capped = await cappedReads(server);

  const row = (w, c) => table[w].find((r) => r.contender === c);
  const ratio = (w, c) => row(w, c).median / row(w, 'raw REST loop').median;
  const targets = [
    { name: 'SELECT 1 over stdio / raw REST loop', value: ratio('SELECT 1', 'server, stdio'), target: 1.05, unit: '×' },
    { name: 'SELECT 1 over HTTP with OAuth / raw REST loop', value: ratio('SELECT 1', 'server, HTTP OAuth (JWKS)'), target: 1.1, unit: '×' },
    { name: '10,000 rows over stdio / raw REST loop', value: ratio('10,000 rows', 'server, stdio'), target: 1.15, unit: '×' },
    { name: '10,000 rows over HTTP / raw REST loop', value: ratio('10,000 rows', 'server, HTTP no auth'), target: 1.15, unit: '×' },
    { name: 'server CPU per SELECT 1 call (stdio)', value: row('SELECT 1', 'server, stdio').cpuPerCallMs, target: 3, unit: 'ms' },
    { name: 'server CPU per 10,000-row call (stdio)', value: row('10,000 rows', 'server, stdio').cpuPerCallMs, target: 40, unit: 'ms' },
    { name: 'authenticated tools/list, 50 connections (req/s)', value: list.reqPerSec, target: 3000, unit: 'req/s', atLeast: true },
    { name: 'authenticated tools/list: errors', value: list.errors, target: 0, unit: '' },
    { name: `tools/list: RSS after − before, each after a full GC (${list.rssBefore.toFixed(0)} → ${list.rssAfter.toFixed(0)} MB)`, value: list.rssAfter - list.rssBefore, target: 64, unit: 'MB' },
    { name: `20 capped lineitem reads: RSS growth, each after a full GC (${capped.rssBefore.toFixed(0)} → ${capped.rssAfter.toFixed(0)} MB)`, value: capped.rssAfter - capped.rssBefore, target: 64, unit: 'MB', strict: true },
    { name: `20 capped lineitem reads: slowest cursor expiry (TTL ${CAPPED_TTL_S} s) → Trino query final`, value: capped.slowestFinalMs, target: 1000, unit: 'ms' },
    { name: 'stdio start → initialize answered, median of 10', value: start.median, target: 150, unit: 'ms', strict: true },
  ].map((t) => ({ ...t, ok: t.atLeast ? t.value >= t.target : t.strict ? t.value < t.target : t.value <= t.target }));
  const wire = await wireBytes(server, WORKLOADS.at(-1).sql);
  const floor = (w) => row(w, 'undici loop (Node floor)').cpuPerCallMs;
  const info = [
    `TRINO_HTTP_COMPRESSION: Trino sends ${(wire.plain / 1e6).toFixed(2)} MB for ${WORKLOADS.at(-1).name}, ${(wire.gzip / 1e6).toFixed(2)} MB gzipped (${((100 * wire.gzip) / wire.plain).toFixed(0)} %); the stdio server's CPU per call with gzip: ${WORKLOADS.map((w) => `${w.name} ${row(w.name, 'server, stdio, gzip from Trino').cpuPerCallMs.toFixed(2)} ms (${row(w.name, 'server, stdio').cpuPerCallMs.toFixed(2)} without)`).join(', ')}`,
    ...WORKLOADS.map(
      (w) =>
        `${w.name}: CPU per call of the undici loop (the Node.js floor) ${floor(w.name).toFixed(2)} ms; the stdio server ${row(w.name, 'server, stdio').cpuPerCallMs.toFixed(2)} ms, ${(row(w.name, 'server, stdio').cpuPerCallMs - floor(w.name)).toFixed(2)} ms above it`,
    ),
    `tools/list: server CPU per request ${list.cpuPerRequestMs.toFixed(2)} ms (RATE_LIMIT_PER_MINUTE=0, ${allocatorLabel()}); RSS 2 s after the run, before any GC: ${list.rawAfter.toFixed(0)} MB`,
    `stdio start: CPU of the process until initialize answered, median ${start.cpuMedian.toFixed(0)} ms; a Node.js process that only imports the MCP SDK's server package: median ${start.sdkFloor.toFixed(0)} ms`,
  ];
  return { table, targets, info };
}

/** The printed table: medians, p95, ratio to the raw loop, server CPU per call. */
export function printTrinoBench({ table, targets, info }) {
  for (const [w, rows] of Object.entries(table)) {
    const limit = rows[0].median;
    console.log(`\n${w}`);
    for (const r of rows) {
      const cpu = `, ${r.contender.startsWith('server') || r.contender.startsWith('before') ? 'server' : 'client'} CPU ${r.cpuPerCallMs.toFixed(2)} ms/call`;
      console.log(`  ${r.contender.padEnd(32)} median ${r.median.toFixed(2).padStart(8)} ms  p95 ${r.p95.toFixed(2).padStart(8)} ms  ×${(r.median / limit).toFixed(2)}${cpu}`);
    }
  }
  console.log('');
  for (const line of info) console.log(`  ${line}`);
  console.log('');
  for (const t of targets) {
    const op = t.atLeast ? '≥' : t.strict ? '<' : '≤';
    console.log(`${t.ok ? 'PASS' : 'MISS'}  ${t.name}: ${t.value.toFixed(2)} ${t.unit} (target ${op} ${t.target} ${t.unit})`);
  }
}
