// `npm run bench`: speed and memory of the server's own hot paths, on the built code.
// Each line reports a median over many runs and the target it is held to; the process
// exits 1 when a target is missed. Plain JavaScript so that it runs the compiled dist/.
import 'reflect-metadata';
import { parseStatement } from '../dist/domain/statement.js';
import { Call, readCapped } from '../dist/use-cases/call.js';
import { QuerySlots } from '../dist/use-cases/query-slots.js';
import { renderTable } from '../dist/adapters/mcp/render.js';

const results = [];

function measure(name, fn, { runs = 200, targetMs }) {
  for (let i = 0; i < 10; i++) fn(); // warm-up
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  const p95 = times[Math.floor(times.length * 0.95)];
  results.push({ name, median, p95, targetMs, ok: median <= targetMs });
}

// A 100 kB read-only statement: a long select list with comments, strings and quoted names.
function bigStatement(bytes) {
  const parts = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const part = `  "col ${i}" /* c${i} */, 'it''s; ${i}' AS s${i}, -- note ${i}\n`;
    parts.push(part);
    size += part.length;
  }
  return `SELECT\n${parts.join('')}  1 AS last\nFROM tpch.tiny.nation;`;
}

const sql100k = bigStatement(100 * 1024);
measure(`classify a ${(sql100k.length / 1024).toFixed(0)} kB SELECT`, () => parseStatement(sql100k), { targetMs: 5 });
const write100k = `/* ${'x'.repeat(100 * 1024)} */ INSERT INTO t SELECT 1`;
measure('classify a 100 kB comment hiding an INSERT', () => {
  if (parseStatement(write100k).readOnly) throw new Error('misclassified');
}, { targetMs: 5 });

const columns = [
  { name: 'id', type: 'bigint' },
  { name: 'name', type: 'varchar' },
  { name: 'price', type: 'decimal(12, 2)' },
  { name: 'tags', type: 'array(varchar)' },
];
const rows = Array.from({ length: 1000 }, (_, i) => [i, `name ${i}\twith tab`, `${i}.50`, ['a', 'b']]);
measure('render 1000 rows × 4 columns as text', () => renderTable({ columns, rows, rowCount: rows.length, truncated: true }, 1000), {
  targetMs: 10,
});

// Reading stops at the cap: memory stays bounded however many rows the engine could send.
async function cappedReadMemory() {
  let produced = 0;
  const engine = {
    async *run() {
      yield { kind: 'started', queryId: 'bench' };
      yield { kind: 'columns', columns };
      for (let b = 0; b < 10_000; b++) {
        const batch = Array.from({ length: 1000 }, (_, i) => [b * 1000 + i, 'x'.repeat(100), '1.00', []]);
        produced += batch.length;
        yield { kind: 'rows', rows: batch };
      }
    },
  };
  globalThis.gc?.();
  const before = process.memoryUsage().heapUsed;
  const t = performance.now();
  const call = new Call({ subject: 'b', scopes: [], via: 'bench' }, new AbortController().signal, 60_000, defaultSlots());
  const result = await readCapped(engine, 'x', call, { maxRows: 1000, defaults: {} });
  call.end();
  const ms = performance.now() - t;
  const grewMb = (process.memoryUsage().heapUsed - before) / 1e6;
  results.push({ name: `read a 10M-row stream with cap 1000 (rows pulled: ${produced})`, median: ms, p95: ms, targetMs: 50, ok: ms <= 50 && result.truncated });
  results.push({ name: 'heap growth for that read (MB)', median: grewMb, p95: grewMb, targetMs: 16, ok: grewMb <= 16 });
}
await cappedReadMemory();

/** The slots of a server with the default limits. */
function defaultSlots() {
  return new QuerySlots({ maxConcurrent: 16, maxConcurrentPerUser: 4, maxQueued: 64, queueTimeoutMs: 5_000 });
}

/** Median over `rounds` of the mean time of one `fn` in a round of `perRound` sequential awaits, in ms. */
async function measureAsync(name, fn, { rounds = 30, perRound = 1000, targetMs }) {
  for (let i = 0; i < perRound; i++) await fn(); // warm-up
  const means = [];
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    for (let i = 0; i < perRound; i++) await fn();
    means.push((performance.now() - t) / perRound);
  }
  means.sort((a, b) => a - b);
  const median = means[Math.floor(means.length / 2)];
  const p95 = means[Math.floor(means.length * 0.95)];
  results.push({ name, median, p95, targetMs, ok: median <= targetMs });
}

// What TRINO_MAX_CONCURRENT_QUERIES costs a call that finds a slot free: the hot path.
{
  const signal = new AbortController().signal;
  const slots = defaultSlots();
  await measureAsync('query slot: take and give back, free slot (per call)', async () => {
    const release = await slots.acquire('b', signal);
    release();
  }, { targetMs: 0.01 });
  // Under contention: four holders, a queue of calls handed a slot one after the other.
  await measureAsync('query slot: handed over to a waiting call (per call)', async () => {
    const held = await Promise.all([0, 1, 2, 3].map(() => slots.acquire('b', signal)));
    const waiting = slots.acquire('b', signal);
    held[0]();
    (await waiting)();
    for (const r of held.slice(1)) r();
  }, { targetMs: 0.1, perRound: 200 });
}

let failed = 0;
for (const r of results) {
  if (!r.ok) failed++;
  console.log(`${r.ok ? 'ok  ' : 'FAIL'}  ${r.name}: median ${r.median.toFixed(3)} (p95 ${r.p95.toFixed(3)}), target ≤ ${r.targetMs}`);
}
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
