/**
 * Fuzz: FUZZ_REQUESTS (5,000 here; `npm run fuzz` sends 50,000) hostile requests of the
 * kinds in test/load/fuzz-cases.ts against the built server's HTTP endpoint (OAuth on, so
 * mutated tokens meet the verifier; rate limits off, so every request reaches the code
 * behind them). The target is the HTTP edge, so Trino is a closed port here (calls that
 * get through answer ENGINE_UNAVAILABLE at once): on a shared Trino 50,000 requests would
 * take an hour. What hostile arguments do on real Trino is tool-arguments.test.ts and
 * hostile-sql.test.ts. Memory is read after a full garbage collection (through the
 * inspector): what is compared is memory held, not garbage V8 had no reason to collect
 * yet. Held: no 5xx answer, the process never exits, it still serves a client afterwards,
 * heap used and RSS at the end within ±15 % of their values after warm-up (the first fifth
 * of the requests: by then every kind of request has been seen many times). The server runs
 * with the image's allocator settings (test/load/inspector.ts): with glibc's defaults, each
 * thread that allocates keeps an arena of its own, large buffers (the oversized bodies) stop
 * being returned to the system after the first few, and RSS keeps the pages of the run's
 * peaks (heap flat, RSS +20 % to +47 %). FUZZ_SEED replays a run; the seed is printed.
 */
import http from 'node:http';
import { freePort } from '../harness/trino-server.ts';
import { SignJWT } from 'jose';
import { afterAll, expect, it } from 'vitest';
import { edgeOnlyEnv, startHttpServer, stopAllHttpServers } from '../support/http-server.ts';
import { connectHttp, GENERATIONS } from '../support/mcp-clients.ts';
import { fuzzRequest, type FuzzRequest } from '../load/fuzz-cases.ts';
import { allocatorLabel, arenaEnv, heldMemory, inspectorUrl, type HeldMemory } from '../load/inspector.ts';
import { rng, seedFrom } from '../load/prng.ts';

afterAll(stopAllHttpServers);

const REQUESTS = Number(process.env['FUZZ_REQUESTS'] ?? 5_000);
const SEED = seedFrom(process.env['FUZZ_SEED']);
const CONCURRENCY = 8;
const SECRET = 'fuzz-test-secret-of-at-least-thirty-two-bytes';
const MAX_BODY_BYTES = 1024 * 1024;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

type Outcome = { status: number } | { error: string };

/** Sends one raw request; a stream left open (GET /sse) is closed once its status is known. */
function send(port: number, agent: http.Agent, req: FuzzRequest): Promise<Outcome> {
  return new Promise((resolve) => {
    let r: http.ClientRequest;
    try {
      r = http.request({ host: '127.0.0.1', port, method: req.method, path: req.path, headers: { host: `127.0.0.1:${port}`, ...req.headers }, agent });
    } catch (err) {
      // Node's client refuses to send it (an invalid header): nothing reached the server.
      return resolve({ error: `unsendable: ${(err as NodeJS.ErrnoException).code ?? 'error'}` });
    }
    const timer = setTimeout(() => r.destroy(new Error('no answer within 30 s')), 30_000);
    r.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (String(res.headers['content-type']).startsWith('text/event-stream') && req.method === 'GET') {
        clearTimeout(timer);
        res.destroy();
        return resolve({ status });
      }
      res.resume();
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status });
      });
      res.on('error', () => {
        clearTimeout(timer);
        resolve({ status });
      });
    });
    r.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ error: err.code ?? err.message });
    });
    r.end(req.body);
  });
}

it(`${REQUESTS} hostile requests: no 5xx, no crash, still serving, heap and RSS within ±15 % of warm-up`, async () => {
  const inspectPort = await freePort();
  const server = await startHttpServer({
    NODE_OPTIONS: `--inspect=127.0.0.1:${inspectPort}`,
    ...(await edgeOnlyEnv(SECRET)),
    MCP_MAX_BODY_BYTES: String(MAX_BODY_BYTES),
    ...arenaEnv(),
  });
  const inspector = await inspectorUrl(inspectPort);
  const token = await new SignJWT({ scope: '' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('fuzzer')
    .setAudience(server.url)
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(new TextEncoder().encode(SECRET));
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const rnd = rng(SEED);
  const byKind = new Map<string, Map<string, number>>();
  const fiveXx: string[] = [];
  let sent = 0;
  let warm: HeldMemory | undefined;
  const record = (req: FuzzRequest, outcome: Outcome) => {
    const key = 'status' in outcome ? String(outcome.status) : outcome.error;
    const kind = byKind.get(req.kind) ?? new Map<string, number>();
    kind.set(key, (kind.get(key) ?? 0) + 1);
    byKind.set(req.kind, kind);
    if ('status' in outcome && outcome.status >= 500) fiveXx.push(`#${sent} ${req.kind} → ${outcome.status}`);
  };
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (sent < REQUESTS) {
        sent += 1;
        if (warm === undefined && sent >= REQUESTS / 5) warm = await heldMemory(inspector);
        // Requests are drawn in order from the one seeded stream, so a seed replays the same set.
        const req = fuzzRequest(rnd, { token, maxBodyBytes: MAX_BODY_BYTES });
        record(req, await send(server.port, agent, req));
      }
    }),
  );
  const elapsed = (Date.now() - t0) / 1000;
  agent.destroy();
  const alive = server.process.exitCode === null && server.process.signalCode === null;
  const final = await heldMemory(inspector);
  const drift = (final.rss - warm!.rss) / warm!.rss;

  // Still serving a client, with its token: the tools, and a call answered as Trino's absence.
  const client = await connectHttp(GENERATIONS[0]!, server.url, { headers: { authorization: `Bearer ${token}` } });
  const tools = await client.listTools();
  const answer = await client.callTool('execute_query', { sql: 'SELECT 1' });
  await client.close();

  const summary = [
    `fuzz: ${REQUESTS} requests in ${elapsed.toFixed(0)} s (${(REQUESTS / elapsed).toFixed(0)}/s), seed ${SEED}`,
    ...[...byKind].sort(([a], [b]) => a.localeCompare(b)).map(([kind, outcomes]) => `  ${kind}: ${[...outcomes].sort().map(([k, n]) => `${k}×${n}`).join(', ')}`),
    `  5xx: ${fiveXx.length}${fiveXx.length ? ` (first: ${fiveXx.slice(0, 3).join(' | ')})` : ''}; process alive: ${alive}`,
    `  after a full GC (${allocatorLabel()}): RSS ${mb(warm!.rss)} after warm-up (request ${Math.ceil(REQUESTS / 5)}), ${mb(final.rss)} at the end (${(drift * 100).toFixed(1)} %); heap used ${mb(warm!.heapUsed)} → ${mb(final.heapUsed)}; heap total ${mb(warm!.heapTotal)} → ${mb(final.heapTotal)}; external ${mb(warm!.external)} → ${mb(final.external)}; array buffers ${mb(warm!.arrayBuffers)} → ${mb(final.arrayBuffers)}`,
  ].join('\n');
  console.log(summary);

  expect(fiveXx, summary).toEqual([]);
  expect(alive, summary).toBe(true);
  expect(tools.length, summary).toBeGreaterThan(0);
  expect(answer.structuredContent?.['code'], summary).toBe('ENGINE_UNAVAILABLE');
  expect(Math.abs((final.heapUsed - warm!.heapUsed) / warm!.heapUsed), summary).toBeLessThanOrEqual(0.15);
  expect(Math.abs(drift), summary).toBeLessThanOrEqual(0.15);
}, 1_800_000);
