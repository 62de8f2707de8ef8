/**
 * Result pages on the undici engine, against a loopback coordinator that speaks the
 * statement protocol: a `rows` event carries the URI of the answer it came in, no page is
 * requested before the consumer asks, a query kept open is not cancelled, and a resume
 * fetches that URI again (with the credentials' one retry on 401) or says CURSOR_EXPIRED.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { TrinoCredentials } from '../../src/adapters/trino/credentials/trino-credentials.ts';
import { TrinoQueryEngine, type TrinoConnection } from '../../src/adapters/trino/trino-query-engine.ts';
import type { Principal } from '../../src/domain/model.ts';
import type { QueryEvent, RowPosition } from '../../src/ports/query-engine.ts';
import { CapturingLogger } from '../fakes/capturing-logger.ts';
import { expectDomainError, rejectionOf } from './support/domain-error.ts';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

const open: Server[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

/**
 * A query of three pages: the POST answers none, page 1 has rows 1-3, page 2 rows 4-5 and
 * ends it. A page read past answers 410, as Trino does; `refuse` answers 401 to a header.
 */
async function coordinator(refuse?: (authorization: string | undefined) => boolean): Promise<{ origin: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  let readUpTo = 0;
  const srv = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers });
      const answer = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(typeof body === 'string' ? body : JSON.stringify(body));
      };
      if (refuse?.(req.headers['authorization'])) return answer(401, 'Unauthorized');
      const columns = [{ name: 'n', type: 'bigint' }];
      if (req.method === 'POST') return answer(200, { id: 'q1', nextUri: `${origin}/v1/statement/executing/q1/x/1` });
      if (req.method === 'DELETE') return answer(204, '');
      const token = Number(req.url!.split('/').at(-1));
      if (token < readUpTo) return answer(410, 'Gone');
      readUpTo = token;
      if (token === 1) return answer(200, { id: 'q1', columns, data: [[1], [2], [3]], nextUri: `${origin}/v1/statement/executing/q1/x/2` });
      return answer(200, { id: 'q1', columns, data: [[4], [5]] });
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  open.push(srv);
  const origin = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  return { origin, seen };
}

const principal: Principal = { subject: 'alice', scopes: [], via: 'test' };
const never = new AbortController().signal;

function engine(server: string, extra: Partial<TrinoConnection> = {}) {
  return new TrinoQueryEngine({ server, user: 'svc', verifyCertificates: true, source: 'unit', ...extra }, new CapturingLogger());
}

/** Reads events until the first `rows`, then stops: where its rows are, and what was sent by then. */
async function firstRows(events: AsyncIterable<QueryEvent>, seen: Seen[]): Promise<{ at?: RowPosition; rows: unknown[]; sentBefore: string[] }> {
  for await (const e of events) {
    if (e.kind === 'rows') return { at: e.at, rows: e.rows.map((r) => r[0]), sentBefore: seen.map((s) => s.method) };
  }
  throw new Error('no rows');
}

async function all(events: AsyncIterable<QueryEvent>): Promise<unknown[]> {
  const rows: unknown[] = [];
  for await (const e of events) if (e.kind === 'rows') rows.push(...e.rows.map((r) => r[0]));
  return rows;
}

describe('pages on the undici engine', () => {
  it('a rows event carries the URI of its answer; the next page waits for the consumer; keepOpen leaves the query running', async () => {
    const t = await coordinator();
    const first = await firstRows(engine(t.origin).run({ sql: 'SELECT n', principal, keepOpen: true }, never), t.seen);
    expect(first.rows).toEqual([1, 2, 3]);
    expect(first.at).toEqual({ page: `${t.origin}/v1/statement/executing/q1/x/1`, skip: 0 });
    expect(first.sentBefore).toEqual(['POST', 'GET']);
    // Stopped there: page 2 was never asked for, and nothing cancelled the query.
    expect(t.seen.map((s) => `${s.method} ${s.url}`)).toEqual(['POST /v1/statement', 'GET /v1/statement/executing/q1/x/1']);
  });

  it('without keepOpen, stopping early cancels the query', async () => {
    const t = await coordinator();
    await firstRows(engine(t.origin).run({ sql: 'SELECT n', principal }, never), t.seen);
    expect(t.seen.at(-1)).toMatchObject({ method: 'DELETE', url: '/v1/query/q1' });
  });

  it('resume fetches the page again, skips to the row, and reads on to the end', async () => {
    const t = await coordinator();
    const e = engine(t.origin);
    const first = await firstRows(e.run({ sql: 'SELECT n', principal, keepOpen: true }, never), t.seen);
    const rest = await all(e.resume({ principal, queryId: 'q1', at: { page: first.at!.page, skip: 2 } }, never));
    expect(rest).toEqual([3, 4, 5]);
    expect(t.seen.map((s) => s.method)).toEqual(['POST', 'GET', 'GET', 'GET']);
  });

  it('a page read past is CURSOR_EXPIRED', async () => {
    const t = await coordinator();
    const e = engine(t.origin);
    const first = await firstRows(e.run({ sql: 'SELECT n', principal, keepOpen: true }, never), t.seen);
    await all(e.resume({ principal, queryId: 'q1', at: { page: first.at!.page, skip: 3 } }, never));
    const err = await rejectionOf(all(e.resume({ principal, queryId: 'q1', at: first.at! }, never)));
    expectDomainError(err, 'CURSOR_EXPIRED');
  });

  it.each([
    ['another origin', 'http://198.51.100.7:8080/v1/statement/executing/q1/x/1'],
    ['credentials in the URI', 'http://user:pw@127.0.0.1:1/v1/statement/executing/q1/x/1'],
    ['not a statement page', '/v1/query/q1'],
    ['not a URI', 'not a uri'],
  ])('a position at %s is CURSOR_EXPIRED and sends nothing', async (_, page) => {
    const t = await coordinator();
    const at = { page: page.startsWith('/') ? `${t.origin}${page}` : page, skip: 0 };
    expectDomainError(await rejectionOf(all(engine(t.origin).resume({ principal, queryId: 'q1', at }, never))), 'CURSOR_EXPIRED');
    expect(t.seen).toEqual([]);
  });

  it('a resume with a token credential sends no X-Trino-User, and retries once with a fresh token on 401', async () => {
    const t = await coordinator((a) => a === 'Bearer stale');
    let header = 'Bearer fresh';
    const credentials: TrinoCredentials = {
      mode: 'jwt',
      namesUser: true,
      refusedCredential: () => 'the test token',
      authorization: async () => header,
      rejected: () => (header = 'Bearer fresh'),
    };
    const e = engine(t.origin, { credentials });
    const first = await firstRows(e.run({ sql: 'SELECT n', principal, keepOpen: true }, never), t.seen);
    header = 'Bearer stale';
    expect(await all(e.resume({ principal, queryId: 'q1', at: first.at! }, never))).toEqual([1, 2, 3, 4, 5]);
    const gets = t.seen.filter((s) => s.method === 'GET');
    expect(gets.map((s) => s.headers['authorization'])).toEqual(['Bearer fresh', 'Bearer stale', 'Bearer fresh', 'Bearer fresh']);
    expect(t.seen.every((s) => s.headers['x-trino-user'] === undefined)).toBe(true);
  });
});
