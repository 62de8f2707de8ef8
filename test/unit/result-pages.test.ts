import { describe, expect, it } from 'vitest';
import { CompactEncrypt } from 'jose';
import { cursorKey, JweCursorCodec } from '../../src/adapters/cursor/jwe-cursor-codec.ts';
import type { Principal, Row } from '../../src/domain/model.ts';
import type { PagesClock } from '../../src/use-cases/pages.ts';
import { ExecuteQuery, FetchMore } from '../../src/use-cases/statements.ts';
import { FakeQueryPolicy } from '../fakes/fake-query-policy.ts';
import { InMemoryQueryEngine } from '../fakes/in-memory-query-engine.ts';
import { expectDomainError, rejectionOf } from './support/domain-error.ts';
import { testPages, unitSettings } from './support/mcp-server.ts';
import { roomySlots } from './support/slots.ts';

const alice: Principal = { subject: 'alice', scopes: [], via: 'test' };
const bob: Principal = { subject: 'bob', scopes: [], via: 'test' };
const never = new AbortController().signal;
const ROWS: Row[] = Array.from({ length: 23 }, (_, i) => [i + 1, `v${i}`]);
const SQL = 'SELECT * FROM t';
const PLAN = 'EXPLAIN (TYPE IO, FORMAT JSON)';

/** A clock that moves only when told, with timers that fire when it passes them. */
class StepClock implements PagesClock {
  t = 1_000_000;
  private timers: { at: number; fn: () => void; off: boolean }[] = [];
  now = () => this.t;
  after(ms: number, fn: () => void): () => void {
    const timer = { at: this.t + ms, fn, off: false };
    this.timers.push(timer);
    return () => (timer.off = true);
  }
  advance(ms: number): void {
    this.t += ms;
    for (const timer of this.timers) if (!timer.off && timer.at <= this.t) (timer.off = true), timer.fn();
  }
}

function setup(options: { maxOpenPerUser?: number; batchSize?: number; maxRows?: number } = {}) {
  const engine = new InMemoryQueryEngine()
    .define(SQL, { columns: [{ name: 'id', type: 'integer' }, { name: 'v', type: 'varchar' }], rows: ROWS, batchSize: options.batchSize ?? 7 })
    .define(`${PLAN} ${SQL}`, { columns: [{ name: 'p', type: 'varchar' }], rows: [['{}']] });
  const clock = new StepClock();
  const pages = testPages(engine, { clock, maxOpenPerUser: options.maxOpenPerUser ?? 4 });
  const settings = unitSettings({ maxRows: options.maxRows ?? 5 });
  const deps = [engine, settings, new FakeQueryPolicy(), roomySlots()] as const;
  return { engine, clock, pages, query: new ExecuteQuery(...deps, pages), more: new FetchMore(...deps, pages) };
}

describe('result pages (use-cases over the fake engine)', () => {
  it('pages through the whole result in order, across and within engine pages, and ends without a cursor', async () => {
    const { query, more, engine } = setup();
    let page = await query.execute({ sql: SQL }, alice, never);
    const rows = [...page.rows];
    while (page.cursor) {
      page = await more.execute({ cursor: page.cursor }, alice, never);
      rows.push(...page.rows);
    }
    expect(rows).toEqual(ROWS);
    expect(page.truncated).toBe(false);
    expect(engine.cancelled).toEqual([]);
    expect(engine.open).toEqual([]);
  });

  it('a smaller limit on fetch_more reads fewer rows; a larger one is capped at TRINO_MAX_ROWS', async () => {
    const { query, more } = setup();
    const first = await query.execute({ sql: SQL, limit: 2 }, alice, never);
    const two = await more.execute({ cursor: first.cursor!, limit: 1 }, alice, never);
    expect(two.rows).toEqual([ROWS[2]]);
    const capped = await more.execute({ cursor: two.cursor!, limit: 1000 }, alice, never);
    expect(capped.rows).toEqual(ROWS.slice(3, 8));
  });

  it("another caller's cursor is CURSOR_INVALID, and does not move the result on", async () => {
    const { query, more, engine } = setup();
    const first = await query.execute({ sql: SQL }, alice, never);
    expectDomainError(await rejectionOf(more.execute({ cursor: first.cursor! }, bob, never)), 'CURSOR_INVALID');
    expect(engine.resumes).toEqual([]);
    expect((await more.execute({ cursor: first.cursor! }, alice, never)).rows).toEqual(ROWS.slice(5, 10));
  });

  it('past TRINO_CURSOR_TTL (injected clock) a cursor is CURSOR_EXPIRED and the query cancelled; the timer cancels it unused too', async () => {
    const { query, more, engine, clock } = setup();
    const first = await query.execute({ sql: SQL }, alice, never);
    clock.t += 300_000; // past the TTL without the timer running: the check on use must hold alone
    expectDomainError(await rejectionOf(more.execute({ cursor: first.cursor! }, alice, never)), 'CURSOR_EXPIRED');
    expect(engine.cancelled).toEqual([first.queryId]);
    const second = await query.execute({ sql: SQL }, alice, never);
    clock.advance(299_999);
    expect(engine.cancelled).not.toContain(second.queryId);
    // A later page keeps the first page's expiry: it does not extend the result's life.
    const next = await more.execute({ cursor: second.cursor! }, alice, never);
    clock.advance(1);
    expect(engine.cancelled).toContain(second.queryId);
    expectDomainError(await rejectionOf(more.execute({ cursor: next.cursor! }, alice, never)), 'CURSOR_EXPIRED');
  });

  it('a user keeps at most maxOpenPerUser results open: a newer one cancels the oldest, others are untouched', async () => {
    const { query, more, engine } = setup({ maxOpenPerUser: 2 });
    const bobs = await query.execute({ sql: SQL }, bob, never);
    const a = [];
    for (let i = 0; i < 4; i++) a.push(await query.execute({ sql: SQL }, alice, never));
    expect(engine.cancelled.sort()).toEqual([a[0]!.queryId, a[1]!.queryId].sort());
    expect(engine.open.sort()).toEqual([bobs.queryId, a[2]!.queryId, a[3]!.queryId].sort());
    expectDomainError(await rejectionOf(more.execute({ cursor: a[0]!.cursor! }, alice, never)), 'CURSOR_EXPIRED');
    expect((await more.execute({ cursor: bobs.cursor! }, bob, never)).rows).toEqual(ROWS.slice(5, 10));
  });

  it('replaying a cursor after the end is CURSOR_EXPIRED; replaying the latest one before it moved on reads the same rows', async () => {
    const { query, more } = setup({ maxRows: 20 });
    const first = await query.execute({ sql: SQL, limit: 1 }, alice, never);
    const again = await more.execute({ cursor: first.cursor!, limit: 1 }, alice, never);
    expect(again.rows).toEqual([ROWS[1]]);
    // Still on the same engine page: a lost answer can be asked for again.
    expect((await more.execute({ cursor: first.cursor!, limit: 1 }, alice, never)).rows).toEqual([ROWS[1]]);
    let page = await more.execute({ cursor: first.cursor! }, alice, never);
    while (page.cursor) page = await more.execute({ cursor: page.cursor }, alice, never);
    expectDomainError(await rejectionOf(more.execute({ cursor: first.cursor! }, alice, never)), 'CURSOR_EXPIRED');
    expectDomainError(await rejectionOf(more.execute({ cursor: again.cursor! }, alice, never)), 'CURSOR_EXPIRED');
  });

  it('a first row larger than the byte budget gets no cursor (no page could pass it), and the query is cancelled', async () => {
    const engine = new InMemoryQueryEngine()
      .define(SQL, { columns: [{ name: 'v', type: 'varchar' }], rows: [['x'.repeat(5_000)], ['y']] })
      .define(`${PLAN} ${SQL}`, { columns: [{ name: 'p', type: 'varchar' }], rows: [['{}']] });
    const settings = unitSettings({ maxResultBytes: 2_000, maxValueBytes: 64 * 1024 });
    const query = new ExecuteQuery(engine, settings, new FakeQueryPolicy(), roomySlots(), testPages(engine));
    const r = await query.execute({ sql: SQL }, alice, never);
    expect(r.rowCount).toBe(0);
    expect(r.cursor).toBeUndefined();
    expect(engine.cancelled).toEqual([r.queryId]);
  });
});

describe('JweCursorCodec', () => {
  const cursor = { queryId: 'q1', at: { page: 'http://trino/v1/statement/executing/q1/x/3', skip: 7 }, owner: 'alice', expiresAt: 5, pageRows: 10 };
  const secret = 'a cursor secret of at least 32 bytes!!';

  it('opens what it sealed, also in another instance with the same secret and context', async () => {
    const token = await new JweCursorCodec({ secret, context: 'http://trino' }).seal(cursor);
    expect(await new JweCursorCodec({ secret, context: 'http://trino' }).open(token)).toEqual(cursor);
    expect(token).not.toContain('trino');
  });

  it('refuses another secret, another context (cluster), no secret, and every altered byte', async () => {
    const codec = new JweCursorCodec({ secret, context: 'http://trino' });
    const token = await codec.seal(cursor);
    for (const other of [
      new JweCursorCodec({ secret: `${secret}!`, context: 'http://trino' }),
      new JweCursorCodec({ secret, context: 'http://other-trino' }),
      new JweCursorCodec({ context: 'http://trino' }),
    ]) {
      expectDomainError(await rejectionOf(other.open(token)), 'CURSOR_INVALID');
    }
    for (let i = 0; i < token.length; i += 7) {
      const c = token[i] === 'A' ? 'B' : 'A';
      const altered = token.slice(0, i) + c + token.slice(i + 1);
      if (altered === token) continue;
      expectDomainError(await rejectionOf(codec.open(altered)), 'CURSOR_INVALID');
    }
  });

  it('refuses a well-sealed payload of the wrong shape (the key authenticates, the shape is still checked)', async () => {
    const key = cursorKey({ secret, context: 'c' });
    const codec = new JweCursorCodec({ secret, context: 'c' });
    for (const payload of [{ v: 2 }, { v: 1, q: 'q', u: 'u', k: -1, o: 'a', e: 1, n: 1 }, { v: 1, q: 'q', u: 'u', k: 0, o: 'a', e: 1, n: 0 }, 'x']) {
      const token = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader({ alg: 'dir', enc: 'A256GCM' }).encrypt(key);
      expectDomainError(await rejectionOf(codec.open(token)), 'CURSOR_INVALID');
    }
  });
});
