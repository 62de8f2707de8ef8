/**
 * TRINO_MAX_CONCURRENT_QUERIES and _PER_USER on the built server against a real Trino:
 * what Trino itself runs (system.runtime.queries, found by a marker comment) stays within
 * the caps however the calls arrive — one JSON-RPC batch, several users, several
 * transports, concurrent calls over stdio — and the calls beyond them wait, then get
 * BUSY, or are served in turn.
 *
 * Small caps, TRINO_QUEUE_TIMEOUT=1 and a short TRINO_QUERY_TIMEOUT keep each case to a
 * few seconds; every query started is cancelled by the server or, failing that, killed in
 * afterAll.
 */
import { randomUUID } from 'node:crypto';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { SignJWT } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../harness/trino-server.ts';
import { startHttpServer, stopAllHttpServers, type HttpServerHandle } from '../support/http-server.ts';
import { connectHttp, connectStdio, type ToolResult } from '../support/mcp-clients.ts';
import { serverEnv } from '../support/processes.ts';
import { isFinalState, killLeftoverQueries, rememberQuery, settledQueryState, slowSql, trinoQuery } from '../support/trino-sql.ts';

/** The server's Trino user (serverEnv); the tests' own queries run as another user. */
const SERVER_TRINO_USER = 'trino-mcp-it';
/** Caps that make four calls enough to see them, and waits short enough for a test. */
const FAST = { TRINO_QUEUE_TIMEOUT: '1', TRINO_QUERY_TIMEOUT: '4' };

afterAll(async () => {
  await stopAllHttpServers();
  await killLeftoverQueries();
});

interface Sighting {
  readonly id: string;
  readonly marker: string;
  readonly active: boolean;
}

/** The server's queries whose marker starts with `prefix`, as Trino lists them now. */
async function sightings(prefix: string): Promise<Sighting[]> {
  // strpos on a concatenation, so this query never matches itself.
  const rows = await trinoQuery(
    `SELECT query_id, query, state FROM system.runtime.queries WHERE "user" = '${SERVER_TRINO_USER}' AND strpos(query, concat('/* ', '${prefix}')) > 0`,
  );
  return rows.map(([id, query, state]) => {
    rememberQuery(String(id));
    const marker = new RegExp(`/\\* (${prefix}\\S*) \\*/`).exec(String(query))?.[1] ?? '';
    return { id: String(id), marker, active: !isFinalState(String(state)) };
  });
}

/**
 * Polls Trino while `work` runs: the most queries of `prefix` active at once, in total and
 * per group (the marker's part after the prefix, up to the first `_`), and every query
 * that ever appeared.
 */
async function watch<T>(prefix: string, work: Promise<T>): Promise<{ result: T; peak: number; peakBy: Map<string, number>; started: Set<string> }> {
  let done = false;
  const finished = work.finally(() => (done = true));
  let peak = 0;
  const peakBy = new Map<string, number>();
  const started = new Set<string>();
  while (!done) {
    const now = await sightings(prefix);
    const active = now.filter((s) => s.active);
    peak = Math.max(peak, active.length);
    for (const s of now) started.add(s.id);
    const by = new Map<string, number>();
    for (const s of active) {
      const group = s.marker.slice(prefix.length).split('_')[1] ?? '';
      by.set(group, (by.get(group) ?? 0) + 1);
    }
    for (const [group, n] of by) peakBy.set(group, Math.max(peakBy.get(group) ?? 0, n));
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const s of await sightings(prefix)) started.add(s.id);
  return { result: await finished, peak, peakBy, started };
}

const runId = () => `cc${randomUUID().replaceAll('-', '').slice(0, 12)}`;

/** A JSON-RPC batch of `n` tools/call of slow queries, each with the marker `<prefix>_<group>_<i>`. */
function batch(prefix: string, group: string, n: number) {
  return Array.from({ length: n }, (_, i) => ({
    jsonrpc: '2.0',
    id: i + 1,
    method: 'tools/call',
    params: { name: 'execute_query', arguments: { sql: slowSql(`${prefix}_${group}_${i}`) } },
  }));
}

/** POSTs one body to /mcp as a stateless 2025-era client would, and returns every JSON-RPC answer in it. */
async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Array<{ id: number; result: ToolResult }>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  const trimmed = text.trim();
  const messages = trimmed.startsWith('[') || trimmed.startsWith('{')
    ? [JSON.parse(trimmed) as unknown].flat()
    : trimmed.split('\n').filter((l) => l.startsWith('data:')).map((l) => JSON.parse(l.slice(5)) as unknown);
  return messages as Array<{ id: number; result: ToolResult }>;
}

const codeOf = (r: ToolResult) => (r.isError ? String(r.structuredContent?.['code']) : 'ok');

function tally(results: readonly ToolResult[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of results) out[codeOf(r)] = (out[codeOf(r)] ?? 0) + 1;
  return out;
}

describe('one HTTP request with a JSON-RPC batch of 20 slow queries, one user', () => {
  it('Trino runs at most TRINO_MAX_CONCURRENT_QUERIES_PER_USER=4 of them; the rest wait, then get BUSY (retryable)', async () => {
    const server = await startHttpServer({ ...FAST, TRINO_MAX_CONCURRENT_QUERIES_PER_USER: '4' });
    const prefix = runId();
    const { result, peak, started } = await watch(prefix, post(server.url, batch(prefix, 'one', 20)));
    expect(result).toHaveLength(20);
    expect(peak).toBe(4);
    expect(started.size).toBe(4);
    // The four that ran hit the query timeout; the sixteen others never started.
    expect(tally(result.map((m) => m.result))).toEqual({ TIMEOUT: 4, BUSY: 16 });
    for (const m of result.filter((r) => codeOf(r.result) === 'BUSY')) expect(m.result.structuredContent).toMatchObject({ retryable: true });
    for (const id of started) expect(await settledQueryState(id)).toMatchObject({ state: 'FAILED' });
    await server.stop();
  }, 60_000);
});

describe('several users over HTTP with OAuth', () => {
  const SECRET = 'a-concurrency-test-secret-of-32-bytes!';
  const ISSUER = 'https://issuer.example';

  async function oauthServer(env: Record<string, string>): Promise<{ server: HttpServerHandle; tokenFor: (sub: string) => Promise<string> }> {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/mcp`;
    const server = await startHttpServer({
      ...env,
      MCP_PORT: String(port),
      MCP_URL: url,
      OAUTH_ENABLED: 'true',
      OAUTH_PROVIDER: 'hmac',
      JWT_SECRET: SECRET,
      OIDC_ISSUER: ISSUER,
    });
    const tokenFor = (sub: string) =>
      new SignJWT({ iss: ISSUER, aud: url, sub, exp: Math.floor(Date.now() / 1000) + 300 })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .sign(new TextEncoder().encode(SECRET));
    return { server, tokenFor };
  }

  it('each user gets a share (per-user cap 3), and together they stay within the total (TRINO_MAX_CONCURRENT_QUERIES=5)', async () => {
    const { server, tokenFor } = await oauthServer({ ...FAST, TRINO_MAX_CONCURRENT_QUERIES: '5', TRINO_MAX_CONCURRENT_QUERIES_PER_USER: '3' });
    const prefix = runId();
    const alice = `Bearer ${await tokenFor('alice')}`;
    const bob = `Bearer ${await tokenFor('bob')}`;
    const both = Promise.all([
      post(server.url, batch(prefix, 'alice', 6), { authorization: alice }),
      post(server.url, batch(prefix, 'bob', 6), { authorization: bob }),
    ]);
    const { result, peak, peakBy, started } = await watch(prefix, both);
    expect(peak).toBe(5);
    expect(started.size).toBe(5);
    // Whoever came first holds three, the other the two left: neither is shut out, neither exceeds three.
    expect([...peakBy.values()].sort()).toEqual([2, 3]);
    expect(tally(result.flat().map((m) => m.result))).toEqual({ TIMEOUT: 5, BUSY: 7 });
    for (const id of started) expect(await settledQueryState(id)).toMatchObject({ state: 'FAILED' });
    await server.stop();
  }, 60_000);
});

describe('one user over three transports of one server: /mcp (2026-07-28), GET /sse + /messages, and a 2025-era batch', () => {
  it('the per-user cap counts the calls of every transport together', async () => {
    const server = await startHttpServer({ TRINO_QUEUE_TIMEOUT: '1', TRINO_QUERY_TIMEOUT: '30', TRINO_MAX_CONCURRENT_QUERIES_PER_USER: '2' });
    const prefix = runId();
    const modern = await connectHttp('v2 client, protocol 2026-07-28', server.url);
    const legacy = new ClientV1({ name: 'it-sse', version: '1.0.0' });
    await legacy.connect(new SSEClientTransport(new URL(`${server.origin}/sse`)));
    const abort = new AbortController();
    try {
      const calls = [
        modern.callTool('execute_query', { sql: slowSql(`${prefix}_modern_0`) }, abort.signal),
        legacy.callTool({ name: 'execute_query', arguments: { sql: slowSql(`${prefix}_legacy_0`) } }, undefined, { signal: abort.signal, timeout: 60_000 }),
      ];
      for (const c of calls) c.catch(() => undefined);
      const deadline = Date.now() + 20_000;
      while ((await sightings(prefix)).filter((s) => s.active).length < 2) {
        if (Date.now() > deadline) throw new Error('the two calls did not both start in Trino');
        await new Promise((r) => setTimeout(r, 50));
      }
      // The user holds both slots: a batch from a third transport waits its second, then is BUSY.
      const { result, peak, started } = await watch(prefix, post(server.url, batch(prefix, 'batch', 3)));
      expect(tally(result.map((m) => m.result))).toEqual({ BUSY: 3 });
      expect(peak).toBe(2);
      expect(started.size).toBe(2);
      abort.abort();
      for (const id of started) expect(await settledQueryState(id)).toEqual({ state: 'FAILED', errorCode: 'USER_CANCELED' });
    } finally {
      abort.abort();
      await modern.close().catch(() => undefined);
      await legacy.close().catch(() => undefined);
      await server.stop();
    }
  }, 60_000);
});

describe('over stdio: one client, concurrent calls', () => {
  it('runs at most the per-user cap (2) at once; the others wait, then get BUSY', async () => {
    const client = await connectStdio('v2 client, protocol 2026-07-28', serverEnv({ ...FAST, TRINO_MAX_CONCURRENT_QUERIES_PER_USER: '2' }));
    try {
      const prefix = runId();
      const calls = Array.from({ length: 6 }, (_, i) => client.callTool('execute_query', { sql: slowSql(`${prefix}_stdio_${i}`) }));
      const { result, peak, started } = await watch(prefix, Promise.all(calls));
      expect(peak).toBe(2);
      expect(started.size).toBe(2);
      expect(tally(result)).toEqual({ TIMEOUT: 2, BUSY: 4 });
    } finally {
      await client.close();
    }
  }, 60_000);

  it('serves waiting calls in turn, first come first served, as cancelled calls give their slot back; a call cancelled while waiting never runs', async () => {
    const client = await connectStdio('v1 client (@modelcontextprotocol/sdk)', serverEnv({ TRINO_QUEUE_TIMEOUT: '30', TRINO_QUERY_TIMEOUT: '60', TRINO_MAX_CONCURRENT_QUERIES_PER_USER: '1' }));
    const prefix = runId();
    const aborts = [0, 1, 2, 3].map(() => new AbortController());
    try {
      const calls = aborts.map((a, i) => client.callTool('execute_query', { sql: slowSql(`${prefix}_turn_${i}`) }, a.signal));
      for (const c of calls) c.catch(() => undefined);
      const activeOnce = async (expected: string) => {
        const deadline = Date.now() + 20_000;
        for (;;) {
          const active = (await sightings(prefix)).filter((s) => s.active);
          if (active.some((s) => s.marker === expected) || Date.now() > deadline) return active;
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      for (const i of [0, 1, 3]) {
        const active = await activeOnce(`${prefix}_turn_${i}`);
        // Exactly the call whose turn it is runs in Trino; the later ones still wait.
        expect(active.map((s) => s.marker)).toEqual([`${prefix}_turn_${i}`]);
        if (i === 0) {
          // The third call gives up while it waits: it leaves the queue, so the fourth comes after the second.
          aborts[2]!.abort();
          await expect(calls[2]).rejects.toThrow();
        }
        aborts[i]!.abort();
        await expect(calls[i]).rejects.toThrow();
        expect(await settledQueryState(active[0]!.id)).toEqual({ state: 'FAILED', errorCode: 'USER_CANCELED' });
      }
      expect((await sightings(prefix)).map((s) => s.marker)).not.toContain(`${prefix}_turn_2`);
    } finally {
      for (const a of aborts) a.abort();
      await client.close();
    }
  }, 60_000);
});
