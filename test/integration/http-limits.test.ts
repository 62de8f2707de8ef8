/**
 * Limits of the HTTP edge under hostile clients, on the built server and real Trino:
 * requests whose headers or body trickle in are cut (408) at MCP_HEADERS_TIMEOUT /
 * MCP_REQUEST_TIMEOUT while long answers are not; kept-alive connections idle out; JSON-RPC
 * batches over MCP_MAX_BATCH_SIZE are refused before any message runs; SSE streams are
 * capped per user and in total; and every /messages POST is authorized by its own token.
 * The timeouts are set to 1 s so the attacks stay short.
 */
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plainLines, startHttpServer, stopAllHttpServers, type HttpServerHandle } from '../support/http-server.ts';
import { connectHttp } from '../support/mcp-clients.ts';
import { trinoQuery } from '../support/trino-sql.ts';

afterAll(stopAllHttpServers);

const mark = (prefix: string) => `${prefix}_${randomUUID().replaceAll('-', '')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Resolves with `value` after `ms`: the losing side of a race, not a wait. */
const deadline = <T>(ms: number, value: T) => new Promise<T>((r) => setTimeout(() => r(value), ms).unref());

/** Queries Trino has seen whose text holds `marker` (the lookup itself excluded). */
async function queriesWith(marker: string): Promise<number> {
  const rows = await trinoQuery(`SELECT count(*) FROM system.runtime.queries WHERE query LIKE '%${marker}%' AND query NOT LIKE '%system.runtime.queries%'`);
  return Number(rows[0]![0]);
}

// ------------------------------------------------------------------------------------------
// Raw sockets: a client that sends its request a byte at a time

interface RawOutcome {
  /** What the server sent before it closed. */
  readonly received: string;
  /** Bytes of the request sent before the server closed. */
  readonly sent: number;
  readonly total: number;
  /** Whether the server closed the connection before `waitMs`. */
  readonly closed: boolean;
}

/** Sends `request` in pieces, one every `everyMs`, and waits up to `waitMs` for the server to close. */
function trickle(port: number, pieces: readonly string[], everyMs: number, waitMs: number): Promise<RawOutcome> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    let sent = 0;
    const total = pieces.reduce((n, p) => n + Buffer.byteLength(p), 0);
    let i = 0;
    const timer = setInterval(() => {
      if (i < pieces.length && socket.writable) {
        sent += Buffer.byteLength(pieces[i]!);
        socket.write(pieces[i++]!);
      }
    }, everyMs);
    const done = (closed: boolean) => {
      clearInterval(timer);
      clearTimeout(guard);
      socket.destroy();
      resolve({ received, sent, total, closed });
    };
    const guard = setTimeout(() => done(false), waitMs);
    socket.on('data', (d) => (received += d.toString('utf8')));
    socket.on('error', () => undefined);
    socket.on('close', () => done(true));
  });
}

const bytes = (s: string) => [...s];

function postHead(path: string, body: string, extra = ''): string {
  return `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
}

// ------------------------------------------------------------------------------------------
// The 2024-11-05 SSE transport, spoken by hand

interface SseEvent {
  readonly event: string;
  readonly data: string;
}

interface SseStream {
  /** The POST endpoint the stream named (`/messages?sessionId=…`). */
  readonly endpoint: string;
  /** The next event that satisfies `match`, or rejects after `ms`. */
  next(match: (e: SseEvent) => boolean, ms?: number): Promise<SseEvent>;
  /** Events seen so far. */
  readonly seen: readonly SseEvent[];
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>;
  close(): void;
}

type SseOpen = { ok: true; stream: SseStream } | { ok: false; status: number; headers: Headers; body: string };

async function openSse(origin: string, token?: string): Promise<SseOpen> {
  const abort = new AbortController();
  const res = await fetch(`${origin}/sse`, {
    headers: { Accept: 'text/event-stream', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    signal: abort.signal,
  });
  if (res.status !== 200) return { ok: false, status: res.status, headers: res.headers, body: await res.text() };
  const seen: SseEvent[] = [];
  const waiters = new Set<() => void>();
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const ended = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data !== undefined) seen.push({ event, data });
          for (const w of waiters) w();
        }
      }
    } catch {
      // aborted by close()
    } finally {
      for (const w of waiters) w();
    }
  })();
  let ending = false;
  void ended.then(() => (ending = true));
  const next = (match: (e: SseEvent) => boolean, ms = 10_000) =>
    new Promise<SseEvent>((resolve, reject) => {
      let from = 0;
      const check = () => {
        const hit = seen.slice(from).find(match);
        from = seen.length;
        if (hit) {
          cleanup();
          resolve(hit);
        } else if (ending) {
          cleanup();
          reject(new Error('SSE stream ended'));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no matching SSE event within ${ms} ms`));
      }, ms);
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  const endpointEvent = await next((e) => e.event === 'endpoint');
  return { ok: true, stream: { endpoint: endpointEvent.data, next, seen, ended, close: () => abort.abort() } };
}

function post(origin: string, path: string, body: unknown, token?: string): Promise<Response> {
  return fetch(`${origin}${path}`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      'Mcp-Protocol-Version': '2025-06-18',
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
}

const responseTo = (id: number) => (e: SseEvent) => e.event === 'message' && (JSON.parse(e.data) as { id?: unknown }).id === id;

/** Opens a stream and runs the 2024-11-05 handshake over it. */
async function openSession(origin: string, token?: string): Promise<SseStream> {
  const open = await openSse(origin, token);
  if (!open.ok) throw new Error(`GET /sse answered ${open.status}: ${open.body}`);
  const { stream } = open;
  const init = { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 'limits-it', version: '1' } } };
  expect((await post(origin, stream.endpoint, init, token)).status).toBe(202);
  await stream.next(responseTo(0));
  expect((await post(origin, stream.endpoint, { jsonrpc: '2.0', method: 'notifications/initialized' }, token)).status).toBe(202);
  return stream;
}

const call = (id: number, name: string, args: Record<string, unknown>) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });

// ------------------------------------------------------------------------------------------

describe('slow clients and batches (no OAuth, 1 s timeouts, batches of at most 3)', () => {
  let server: HttpServerHandle;
  beforeAll(async () => {
    server = await startHttpServer({
      MCP_HEADERS_TIMEOUT: '1',
      MCP_REQUEST_TIMEOUT: '1',
      MCP_KEEPALIVE_TIMEOUT: '1',
      MCP_MAX_BATCH_SIZE: '3',
      TRINO_QUERY_TIMEOUT: '3',
    });
  });

  describe('request arrival is bounded', () => {
    it('headers sent a byte every 100 ms are cut with 408 long before they are complete', async () => {
      const head = `GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: ${'x'.repeat(100)}\r\n\r\n`;
      const r = await trickle(server.port, bytes(head), 100, 5_000);
      expect(r.closed).toBe(true);
      expect(r.received).toMatch(/^HTTP\/1\.1 408 /);
      expect(r.sent).toBeLessThan(r.total / 2);
    });

    it('a connection that sends nothing is closed at the headers timeout', async () => {
      const r = await trickle(server.port, [], 100, 5_000);
      expect(r.closed).toBe(true);
      expect(r.received).toMatch(/^HTTP\/1\.1 408 /);
    });

    it('a POST /mcp body sent a byte every 100 ms is cut with 408, and its query never starts', async () => {
      const marker = mark('trickle_mcp');
      const body = JSON.stringify(call(1, 'execute_query', { sql: `SELECT '${marker}'` }));
      const r = await trickle(server.port, [postHead('/mcp', body, 'Mcp-Protocol-Version: 2025-06-18\r\n'), ...bytes(body)], 100, 5_000);
      expect(r.closed).toBe(true);
      expect(r.received).toMatch(/^HTTP\/1\.1 408 /);
      expect(r.sent).toBeLessThan(r.total);
      expect(await queriesWith(marker)).toBe(0);
      // Logged as a JSON line, not printed with a stack by Koa's default handler.
      expect(plainLines(server.stderr()).join('\n')).not.toContain('ERR_HTTP_REQUEST_TIMEOUT');
      expect(server.logs()).toContainEqual(expect.objectContaining({ msg: 'http connection error', error: 'ERR_HTTP_REQUEST_TIMEOUT' }));
    });

    it('a /messages body sent a byte every 100 ms is cut with 408, and its query never starts', async () => {
      const stream = await openSession(server.origin);
      try {
        const marker = mark('trickle_messages');
        const body = JSON.stringify(call(1, 'execute_query', { sql: `SELECT '${marker}'` }));
        const r = await trickle(server.port, [postHead(stream.endpoint, body), ...bytes(body)], 100, 5_000);
        expect(r.closed).toBe(true);
        expect(r.received).toMatch(/^HTTP\/1\.1 408 /);
        expect(await queriesWith(marker)).toBe(0);
      } finally {
        stream.close();
      }
    });

    it('a kept-alive connection left idle is closed after the keep-alive timeout', async () => {
      // One complete request, then silence: Node adds a second of grace to MCP_KEEPALIVE_TIMEOUT.
      const r = await trickle(server.port, ['GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'], 10, 4_000);
      expect(r.received).toMatch(/^HTTP\/1\.1 200 /);
      expect(r.closed).toBe(true);
    });
  });

  describe('long answers are not cut', () => {
    it('a tool call that runs past the request timeout gets its answer (here the query timeout)', async () => {
      const client = await connectHttp('v1 client (@modelcontextprotocol/sdk)', server.url);
      try {
        const started = Date.now();
        const r = await client.callTool('execute_query', { sql: `SELECT sum(extendedprice) FROM tpch.sf1000.lineitem /* ${mark('long')} */` });
        expect(Date.now() - started).toBeGreaterThan(2_000);
        expect(r.structuredContent?.['code']).toBe('TIMEOUT');
      } finally {
        await client.close();
      }
    });

    it('an SSE stream open past the request timeout still carries answers', async () => {
      const stream = await openSession(server.origin);
      try {
        await sleep(1_800); // past MCP_REQUEST_TIMEOUT and its check
        expect((await post(server.origin, stream.endpoint, call(7, 'execute_query', { sql: 'SELECT 7' }))).status).toBe(202);
        expect((await stream.next(responseTo(7))).data).toContain('"rows":[[7]]');
      } finally {
        stream.close();
      }
    });

    it('GET /mcp opens no standalone stream: stateless, it is 405 (also at GET /sse for streamable clients)', async () => {
      for (const path of ['/mcp', '/sse']) {
        const res = await fetch(`${server.origin}${path}`, { headers: { Accept: 'text/event-stream', 'Mcp-Protocol-Version': '2025-06-18' } });
        expect(res.status, path).toBe(405);
        await res.body?.cancel();
      }
    });
  });

  describe('batch size', () => {
    const batch = (marker: string, n: number) => Array.from({ length: n }, (_, i) => call(i + 1, 'execute_query', { sql: `SELECT '${marker}', ${i}` }));

    it.each(['/mcp', '/sse'])('POST %s: a batch of 4 is refused whole (400, -32600) and starts no query', async (path) => {
      const marker = mark('batch_over');
      const res = await post(server.origin, path, batch(marker, 4));
      expect(res.status).toBe(400);
      const body = (await res.json()) as { id: unknown; error: { code: number; message: string } };
      expect(body.id).toBeNull();
      expect(body.error.code).toBe(-32600);
      expect(body.error.message).toContain('MCP_MAX_BATCH_SIZE');
      expect(await queriesWith(marker)).toBe(0);
    });

    it.each(['/mcp', '/sse'])('POST %s: a batch of 3 runs every message', async (path) => {
      const marker = mark('batch_at');
      const res = await post(server.origin, path, batch(marker, 3));
      expect(res.status).toBe(200);
      const text = await res.text();
      for (const id of [1, 2, 3]) expect(text).toMatch(new RegExp(`"id":${id}\\b`));
      expect(await queriesWith(marker)).toBe(3);
    });

    it('/messages: a batch of 4 is refused whole and starts no query; a batch of 3 runs', async () => {
      const stream = await openSession(server.origin);
      try {
        const over = mark('sse_batch_over');
        const refused = await post(server.origin, stream.endpoint, batch(over, 4));
        expect(refused.status).toBe(400);
        expect(((await refused.json()) as { error: { code: number } }).error.code).toBe(-32600);

        const at = mark('sse_batch_at');
        expect((await post(server.origin, stream.endpoint, batch(at, 3))).status).toBe(202);
        for (const id of [1, 2, 3]) expect((await stream.next(responseTo(id))).data).toContain(at);
        // The refused batch had its turn first: had it been delivered, its queries would be there.
        expect(await queriesWith(over)).toBe(0);
        expect(stream.seen.filter((e) => e.data.includes(over))).toEqual([]);
      } finally {
        stream.close();
      }
    });

    it('/messages: a body that is not JSON-RPC is refused, not dropped', async () => {
      const stream = await openSession(server.origin);
      try {
        for (const [body, code] of [['[]', -32600], ['[1, 2]', -32600], ['{"jsonrpc":', -32700]] as const) {
          const res = await fetch(`${server.origin}${stream.endpoint}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
          expect(res.status, body).toBe(400);
          expect(((await res.json()) as { error: { code: number } }).error.code, body).toBe(code);
        }
      } finally {
        stream.close();
      }
    });
  });
});

// ------------------------------------------------------------------------------------------

const SECRET = 'http-limits-test-secret-0123456789abcdef';

describe('SSE streams and sessions with OAuth (HMAC)', () => {
  let server: HttpServerHandle;
  const S = mark('limits');
  beforeAll(async () => {
    server = await startHttpServer({
      OAUTH_ENABLED: 'true',
      OAUTH_PROVIDER: 'hmac',
      JWT_SECRET: SECRET,
      OAUTH_CLOCK_TOLERANCE: '0',
      OAUTH_REQUIRED_SCOPES: 'trino:read',
      OAUTH_WRITE_SCOPE: 'trino:write',
      TRINO_ALLOW_WRITE_QUERIES: 'true',
      TRINO_CATALOG: 'memory',
      TRINO_SCHEMA: S,
      MCP_MAX_SSE_STREAMS: '3',
      MCP_MAX_SSE_STREAMS_PER_USER: '2',
    });
    await trinoQuery(`CREATE SCHEMA memory.${S}`);
    await trinoQuery(`CREATE TABLE memory.${S}.t (n integer)`);
  });
  afterAll(async () => {
    await trinoQuery(`DROP TABLE IF EXISTS memory.${S}.t`);
    await trinoQuery(`DROP SCHEMA IF EXISTS memory.${S}`);
  });

  const token = (sub: string, scope: string, lifetimeSec = 300) =>
    new SignJWT({ scope })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(sub)
      .setAudience(server.url)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + lifetimeSec)
      .sign(new TextEncoder().encode(SECRET));
  const rows = async () => Number((await trinoQuery(`SELECT count(*) FROM memory.${S}.t`))[0]![0]);

  it('streams over the per-user cap get 429, over the total 503, both with Retry-After; a freed slot is reused', async () => {
    const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((u) => token(u, 'trino:read')));
    const open: SseStream[] = [];
    const must = async (t: string) => {
      const o = await openSse(server.origin, t);
      if (!o.ok) throw new Error(`expected a stream, got ${o.status}`);
      open.push(o.stream);
      return o.stream;
    };
    try {
      const first = await must(alice!);
      await must(alice!);
      const third = await openSse(server.origin, alice);
      expect(third.ok).toBe(false);
      if (third.ok) return;
      expect(third.status).toBe(429);
      expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(JSON.parse(third.body)).toMatchObject({ error: 'too_many_streams' });

      await must(bob!);
      const full = await openSse(server.origin, carol);
      expect(full.ok).toBe(false);
      if (full.ok) return;
      expect(full.status).toBe(503);
      expect(Number(full.headers.get('retry-after'))).toBeGreaterThan(0);

      // Alice closes one: the server notices the closed socket and frees her slot.
      first.close();
      let again: SseOpen | undefined;
      for (let i = 0; i < 20 && !again?.ok; i++) {
        again = await openSse(server.origin, alice);
        if (!again.ok) await sleep(100);
      }
      expect(again?.ok).toBe(true);
      if (again?.ok) open.push(again.stream);
    } finally {
      for (const s of open) s.close();
    }
  });

  describe('a session opened with a write-scope token', () => {
    let writer: string;
    let stream: SseStream;
    beforeAll(async () => {
      writer = await token('dana', 'trino:read trino:write');
      stream = await openSession(server.origin, writer);
    });
    afterAll(() => stream?.close());

    it('runs the opener’s INSERT (the control)', async () => {
      const before = await rows();
      expect((await post(server.origin, stream.endpoint, call(1, 'execute_statement', { sql: `INSERT INTO t VALUES 1` }), writer)).status).toBe(202);
      expect((await stream.next(responseTo(1))).data).not.toContain('"isError":true');
      expect(await rows()).toBe(before + 1);
    });

    it('refuses the INSERT of a read-only token of the same subject: 403 insufficient_scope, nothing written', async () => {
      const reader = await token('dana', 'trino:read');
      const before = await rows();
      const res = await post(server.origin, stream.endpoint, call(2, 'execute_statement', { sql: `INSERT INTO t VALUES 2` }), reader);
      expect(res.status).toBe(403);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const challenge = res.headers.get('www-authenticate') ?? '';
      expect(challenge).toMatch(/^Bearer /);
      expect(challenge).toContain('error="insufficient_scope"');
      expect(/scope="([^"]*)"/.exec(challenge)?.[1]?.split(' ').sort()).toEqual(['trino:read', 'trino:write']);
      expect(challenge).toContain(`resource_metadata="${server.origin}/.well-known/oauth-protected-resource/sse"`);
      // The next message's answer comes after any answer to id 2 would have.
      expect((await post(server.origin, stream.endpoint, call(3, 'execute_query', { sql: 'SELECT 3' }), reader)).status).toBe(202);
      await stream.next(responseTo(3));
      expect(stream.seen.some(responseTo(2))).toBe(false);
      expect(await rows()).toBe(before);
    });

    it('refuses a whole batch holding one such write', async () => {
      const reader = await token('dana', 'trino:read');
      const before = await rows();
      const body = [call(4, 'execute_query', { sql: 'SELECT 4' }), call(5, 'execute_statement', { sql: 'INSERT INTO t VALUES 5' })];
      expect((await post(server.origin, stream.endpoint, body, reader)).status).toBe(403);
      expect(await rows()).toBe(before);
    });

    it('answers a POST with an expired token 401 invalid_token, and one of another subject 404', async () => {
      const expired = await token('dana', 'trino:read trino:write', -5);
      const res = await post(server.origin, stream.endpoint, call(6, 'execute_query', { sql: 'SELECT 6' }), expired);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
      const other = await token('erin', 'trino:read trino:write');
      expect((await post(server.origin, stream.endpoint, call(6, 'execute_query', { sql: 'SELECT 6' }), other)).status).toBe(404);
    });
  });

  it('a stream ends when its opener’s token expires', async () => {
    const shortLived = await token('frank', 'trino:read', 2);
    const stream = await openSession(server.origin, shortLived);
    try {
      const outcome = await Promise.race([stream.ended.then(() => 'ended'), deadline(5_000, 'still open')]);
      expect(outcome).toBe('ended');
    } finally {
      stream.close();
    }
  });
});
