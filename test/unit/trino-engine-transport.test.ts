/**
 * TrinoQueryEngine's transport against a loopback coordinator that speaks the statement
 * protocol: connections kept alive across queries, the credentials' one retry on 401, no
 * request to an origin other than TRINO_HOST, gzip decoded within the bound, progress and
 * bigint digits out of the pages.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { TrinoCredentials } from '../../src/adapters/trino/credentials/trino-credentials.ts';
import { TrinoQueryEngine, type TrinoConnection } from '../../src/adapters/trino/trino-query-engine.ts';
import type { Principal } from '../../src/domain/model.ts';
import type { QueryEvent } from '../../src/ports/query-engine.ts';
import { CapturingLogger } from '../fakes/capturing-logger.ts';
import { expectDomainError, rejectionOf } from './support/domain-error.ts';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  socket: number;
}

type Handler = (req: Seen, origin: string) => { status: number; headers?: Record<string, string>; body: string | Buffer };

const open: Server[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

/** A coordinator answering with `handler`; numbers each TCP connection it accepts. */
async function coordinator(handler: Handler): Promise<{ origin: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  let sockets = 0;
  const ids = new WeakMap<object, number>();
  const srv = createServer((req, res) => {
    if (!ids.has(req.socket)) ids.set(req.socket, ++sockets);
    req.resume();
    req.on('end', () => {
      const s: Seen = { method: req.method!, url: req.url!, headers: req.headers, socket: ids.get(req.socket)! };
      seen.push(s);
      const a = handler(s, origin);
      res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
      res.end(a.body);
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  open.push(srv);
  const origin = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  return { origin, seen };
}

/** Two pages: the first with progress, the second with the data. */
const twoPages: Handler = (req, origin) =>
  req.method === 'POST'
    ? { status: 200, body: JSON.stringify({ id: 'q1', nextUri: `${origin}/v1/statement/executing/q1/x/1`, stats: { state: 'QUEUED' } }) }
    : {
        status: 200,
        body: JSON.stringify({
          id: 'q1',
          columns: [{ name: 'n', type: 'bigint' }],
          data: [[1], [2]],
          stats: { state: 'FINISHED', processedRows: 2, processedBytes: 0, completedSplits: 1, totalSplits: 1 },
        }),
      };

const principal: Principal = { subject: 'alice', scopes: [], via: 'test' };

function engine(server: string, extra: Partial<TrinoConnection> = {}) {
  return new TrinoQueryEngine({ server, user: 'svc', verifyCertificates: true, source: 'unit', ...extra }, new CapturingLogger());
}

async function events(e: TrinoQueryEngine, sql = 'SELECT n'): Promise<QueryEvent[]> {
  const out: QueryEvent[] = [];
  for await (const ev of e.run({ sql, principal }, new AbortController().signal)) out.push(ev);
  return out;
}

describe('TrinoQueryEngine transport', () => {
  it('reuses one keep-alive connection across the requests of several queries', async () => {
    const t = await coordinator(twoPages);
    const e = engine(t.origin);
    for (let i = 0; i < 3; i++) await events(e);
    expect(t.seen).toHaveLength(6);
    // A request may go out just before the last one's connection is free again: two at most.
    expect(new Set(t.seen.map((s) => s.socket)).size).toBeLessThanOrEqual(2);
  });

  it('never opens more connections than the pool holds, however many queries run at once', async () => {
    const t = await coordinator(twoPages);
    const e = engine(t.origin, { connections: 1 });
    await Promise.all([events(e), events(e), events(e), events(e)]);
    expect(t.seen).toHaveLength(8);
    expect(new Set(t.seen.map((s) => s.socket)).size).toBe(1);
  });

  it('reports progress from the pages, and the rows', async () => {
    const t = await coordinator(twoPages);
    const evs = await events(engine(t.origin));
    expect(evs.map((e) => e.kind)).toEqual(['started', 'progress', 'columns', 'rows']);
    expect(evs[1]).toEqual({ kind: 'progress', progress: { state: 'QUEUED', processedRows: 0, processedBytes: 0, completedSplits: 0, totalSplits: 0 } });
  });

  it('keeps every digit of a bigint past 2^53; a page without such a run of digits parses the same', async () => {
    const t = await coordinator(() => ({
      status: 200,
      body: '{"id":"q2","columns":[{"name":"n","type":"bigint"}],"data":[[9223372036854775807],[-9007199254740993],[9007199254740991],[1.5]]}',
    }));
    const rows = (await events(engine(t.origin))).flatMap((e) => (e.kind === 'rows' ? e.rows : []));
    expect(rows).toEqual([['9223372036854775807'], ['-9007199254740993'], [9007199254740991], [1.5]]);
  });

  it('asks the credentials once per query; on a 401 tells them, and retries once with the new header', async () => {
    const t = await coordinator((req) =>
      req.headers['authorization'] === 'Bearer fresh' ? twoPages(req, `http://${req.headers.host}`) : { status: 401, body: 'Unauthorized' },
    );
    const calls: string[] = [];
    let header = 'Bearer stale';
    const credentials: TrinoCredentials = {
      mode: 'jwt',
      namesUser: true,
      refusedCredential: () => 'the test token',
      authorization: async (p) => (calls.push(`authorization ${p.subject}`), header),
      rejected: (p, h) => {
        calls.push(`rejected ${p.subject} ${h}`);
        header = 'Bearer fresh';
      },
    };
    const evs = await events(engine(t.origin, { credentials }));
    expect(evs.some((e) => e.kind === 'rows')).toBe(true);
    expect(calls).toEqual(['authorization alice', 'rejected alice Bearer stale', 'authorization alice']);
    expect(t.seen.map((s) => [s.method, s.headers['authorization']])).toEqual([
      ['POST', 'Bearer stale'],
      ['POST', 'Bearer fresh'],
      ['GET', 'Bearer fresh'],
    ]);
  });

  it('a 401 with a header that stays the same is not retried', async () => {
    const t = await coordinator(() => ({ status: 401, body: 'Unauthorized' }));
    const credentials: TrinoCredentials = { mode: 'jwt', namesUser: true, refusedCredential: () => 'the test token', authorization: async () => 'Bearer same', rejected: () => undefined };
    expectDomainError(await rejectionOf(events(engine(t.origin, { credentials }))), 'ENGINE_UNAVAILABLE', { retryable: false });
    expect(t.seen).toHaveLength(1);
  });

  it('never follows a nextUri to another origin: the credentials stay with TRINO_HOST', async () => {
    const elsewhere = await coordinator(twoPages);
    const t = await coordinator(() => ({ status: 200, body: JSON.stringify({ id: 'q3', nextUri: `${elsewhere.origin}/v1/statement/executing/q3/x/1` }) }));
    const err = await rejectionOf(events(engine(t.origin, { password: 'pw' })));
    expectDomainError(err, 'ENGINE_UNAVAILABLE', { retryable: false });
    expect(elsewhere.seen.filter((s) => s.method !== 'DELETE')).toHaveLength(0);
  });

  it('with TRINO_HTTP_COMPRESSION asks for gzip and decodes it; without, asks for none', async () => {
    const page = JSON.stringify({ id: 'q4', columns: [{ name: 'v', type: 'varchar' }], data: [['x'.repeat(10_000)]] });
    const t = await coordinator((req) =>
      String(req.headers['accept-encoding']).includes('gzip')
        ? { status: 200, headers: { 'content-encoding': 'gzip' }, body: gzipSync(page) }
        : { status: 200, body: page },
    );
    const rowsOf = (evs: QueryEvent[]) => evs.flatMap((e) => (e.kind === 'rows' ? e.rows : []));
    expect(rowsOf(await events(engine(t.origin, { compression: true })))).toEqual([['x'.repeat(10_000)]]);
    expect(rowsOf(await events(engine(t.origin)))).toEqual([['x'.repeat(10_000)]]);
    expect(t.seen.map((s) => s.headers['accept-encoding'])).toEqual(['gzip, deflate', 'identity']);
  });

  it('a gzip page that decompresses past the bound is not read: oversized', async () => {
    const page = JSON.stringify({ id: 'q5', nextUri: 'later', columns: [{ name: 'v', type: 'varchar' }], data: [['x'.repeat(200_000)]] });
    const t = await coordinator(() => ({ status: 200, headers: { 'content-encoding': 'gzip' }, body: gzipSync(page) }));
    const evs = await events(engine(t.origin, { compression: true, maxResponseBytes: 100_000 }));
    expect(evs).toEqual([{ kind: 'oversized', limitBytes: 100_000 }]);
  });
});
