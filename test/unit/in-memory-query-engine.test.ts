import { describe, expect, it } from 'vitest';
import type { Principal } from '../../src/domain/model.ts';
import type { QueryEvent, QueryRequest } from '../../src/ports/query-engine.ts';
import { InMemoryQueryEngine } from '../fakes/in-memory-query-engine.ts';
import { expectDomainError, rejectionOf } from './support/domain-error.ts';

const principal: Principal = { subject: 'alice', scopes: [], via: 'test' };
const req = (sql: string): QueryRequest => ({ sql, principal });
const cols = [
  { name: 'a', type: 'integer' },
  { name: 'a', type: 'varchar' },
];

async function collect(it: AsyncIterable<QueryEvent>): Promise<QueryEvent[]> {
  const events: QueryEvent[] = [];
  for await (const e of it) events.push(e);
  return events;
}

describe('InMemoryQueryEngine', () => {
  it('emits started, columns, then rows in batches of 2 by default', async () => {
    const engine = new InMemoryQueryEngine().define('SELECT x', { columns: cols, rows: [[1, 'a'], [2, 'b'], [3, 'c']] });
    const events = await collect(engine.run(req('SELECT x'), new AbortController().signal));
    expect(events).toEqual([
      { kind: 'started', queryId: 'fake_1' },
      { kind: 'columns', columns: cols },
      { kind: 'rows', rows: [[1, 'a'], [2, 'b']], at: { page: 'fake://fake_1/0', skip: 0 } },
      { kind: 'rows', rows: [[3, 'c']], at: { page: 'fake://fake_1/1', skip: 0 } },
    ]);
    expect(engine.cancelled).toEqual([]);
    expect(engine.isRunning('fake_1')).toBe(false);
  });

  it('honours batchSize and emits no rows event for an empty result', async () => {
    const engine = new InMemoryQueryEngine()
      .define('A', { columns: cols, rows: [[1, 'a'], [2, 'b'], [3, 'c']], batchSize: 3 })
      .define('B', { columns: cols, rows: [] });
    const a = await collect(engine.run(req('A'), new AbortController().signal));
    expect(a.filter((e) => e.kind === 'rows')).toHaveLength(1);
    const b = await collect(engine.run(req('B'), new AbortController().signal));
    expect(b.map((e) => e.kind)).toEqual(['started', 'columns']);
  });

  it('matches SQL after trimming and numbers queries fake_1, fake_2, …', async () => {
    const engine = new InMemoryQueryEngine().define('  SELECT 1 \n', { columns: cols, rows: [] });
    const first = await collect(engine.run(req('SELECT 1'), new AbortController().signal));
    const second = await collect(engine.run(req('\tSELECT 1  '), new AbortController().signal));
    expect(first[0]).toEqual({ kind: 'started', queryId: 'fake_1' });
    expect(second[0]).toEqual({ kind: 'started', queryId: 'fake_2' });
    expect(engine.calls.map((c) => c.sql)).toEqual(['SELECT 1', '\tSELECT 1  ']);
  });

  it('records calls as they are made', () => {
    const engine = new InMemoryQueryEngine();
    const request = { sql: 'SELECT 1', principal, catalog: 'c', schema: 's' };
    engine.run(request, new AbortController().signal);
    expect(engine.calls).toEqual([request]);
  });

  it('fails an unknown statement like a syntax error, after started', async () => {
    const engine = new InMemoryQueryEngine();
    const events: QueryEvent[] = [];
    const err = await rejectionOf(
      (async () => {
        for await (const e of engine.run(req('SELEC 1'), new AbortController().signal)) events.push(e);
      })(),
    );
    expectDomainError(err, 'QUERY_INVALID', { errorName: 'SYNTAX_ERROR', queryId: 'fake_1' });
    expect(events).toEqual([{ kind: 'started', queryId: 'fake_1' }]);
    expect(engine.cancelled).toEqual([]);
    expect(engine.isRunning('fake_1')).toBe(false);
  });

  it('fails a defined error with QUERY_INVALID, its errorName and message', async () => {
    const engine = new InMemoryQueryEngine().define('SELECT * FROM nope', {
      error: { errorName: 'TABLE_NOT_FOUND', message: "Table 'nope' does not exist" },
    });
    const err = expectDomainError(await rejectionOf(collect(engine.run(req('SELECT * FROM nope'), new AbortController().signal))), 'QUERY_INVALID', {
      errorName: 'TABLE_NOT_FOUND',
      queryId: 'fake_1',
    });
    expect(err.message).toBe("Table 'nope' does not exist");
  });

  it('fails an unavailable engine before started, retryable', async () => {
    const engine = new InMemoryQueryEngine().define('SELECT 1', { unavailable: true });
    const events: QueryEvent[] = [];
    const err = await rejectionOf(
      (async () => {
        for await (const e of engine.run(req('SELECT 1'), new AbortController().signal)) events.push(e);
      })(),
    );
    expectDomainError(err, 'ENGINE_UNAVAILABLE', { retryable: true });
    expect(events).toEqual([]);
  });

  it('cancels the query when the consumer breaks, before return() settles', async () => {
    const engine = new InMemoryQueryEngine().define('BIG', { columns: cols, rows: Array.from({ length: 10 }, (_, i) => [i, 'x']) });
    let queryId = '';
    for await (const e of engine.run(req('BIG'), new AbortController().signal)) {
      if (e.kind === 'started') {
        queryId = e.queryId;
        expect(engine.isRunning(queryId)).toBe(true);
      }
      if (e.kind === 'rows') break;
    }
    // `for await` awaited return(): the cancel must already be recorded.
    expect(engine.cancelled).toEqual([queryId]);
    expect(engine.isRunning(queryId)).toBe(false);
  });

  it('cancels on an explicit return()', async () => {
    const engine = new InMemoryQueryEngine().define('BIG', { columns: cols, rows: [[1, 'a']] });
    const iterator = engine.run(req('BIG'), new AbortController().signal)[Symbol.asyncIterator]();
    await iterator.next();
    expect(engine.isRunning('fake_1')).toBe(true);
    await iterator.return!();
    expect(engine.cancelled).toEqual(['fake_1']); // recorded by the time return() settles
    expect(engine.isRunning('fake_1')).toBe(false);
  });

  it('hangs until the signal aborts, then cancels and throws CANCELLED', async () => {
    const engine = new InMemoryQueryEngine().define('SLOW', { hang: true });
    const controller = new AbortController();
    const events: QueryEvent[] = [];
    const done = (async () => {
      for await (const e of engine.run(req('SLOW'), controller.signal)) events.push(e);
    })();
    await new Promise((r) => setTimeout(r, 5));
    expect(events).toEqual([{ kind: 'started', queryId: 'fake_1' }]);
    expect(engine.isRunning('fake_1')).toBe(true);
    controller.abort();
    expectDomainError(await rejectionOf(done), 'CANCELLED', { queryId: 'fake_1' });
    expect(engine.cancelled).toEqual(['fake_1']);
    expect(engine.isRunning('fake_1')).toBe(false);
  });

  it('throws CANCELLED between batches when the signal aborts', async () => {
    const engine = new InMemoryQueryEngine().define('BIG', { columns: cols, rows: Array.from({ length: 10 }, (_, i) => [i, 'x']) });
    const controller = new AbortController();
    let batches = 0;
    const err = await rejectionOf(
      (async () => {
        for await (const e of engine.run(req('BIG'), controller.signal)) {
          if (e.kind === 'rows' && ++batches === 2) controller.abort();
        }
      })(),
    );
    expectDomainError(err, 'CANCELLED', { queryId: 'fake_1' });
    expect(batches).toBe(2);
    expect(engine.cancelled).toEqual(['fake_1']);
  });

  it('throws CANCELLED without starting when the signal is already aborted', async () => {
    const engine = new InMemoryQueryEngine().define('SELECT 1', { columns: cols, rows: [] });
    const err = await rejectionOf(collect(engine.run(req('SELECT 1'), AbortSignal.abort())));
    expectDomainError(err, 'CANCELLED');
    expect(engine.cancelled).toEqual([]);
  });

  it('shares no state between calls: consumers cannot change what a later call sees', async () => {
    const engine = new InMemoryQueryEngine().define('SELECT x', { columns: cols, rows: [[1, 'a']] });
    const first = await collect(engine.run(req('SELECT x'), new AbortController().signal));
    // Mutate what the first consumer received (the event types are readonly, a consumer may cast).
    const rows = first.find((e) => e.kind === 'rows') as unknown as { rows: unknown[][] };
    rows.rows[0]![0] = 'mutated';
    (first[1] as unknown as { columns: { name: string }[] }).columns[0]!.name = 'mutated';
    const second = await collect(engine.run(req('SELECT x'), new AbortController().signal));
    expect(second.slice(1)).toEqual([
      { kind: 'columns', columns: cols },
      { kind: 'rows', rows: [[1, 'a']], at: { page: 'fake://fake_2/0', skip: 0 } },
    ]);
  });

  it('runs concurrent queries independently', async () => {
    const engine = new InMemoryQueryEngine()
      .define('A', { columns: [{ name: 'a', type: 'integer' }], rows: [[1], [2], [3]] })
      .define('B', { columns: [{ name: 'b', type: 'integer' }], rows: [[9]] });
    const [a, b] = await Promise.all([
      collect(engine.run(req('A'), new AbortController().signal)),
      collect(engine.run(req('B'), new AbortController().signal)),
    ]);
    expect(a.flatMap((e) => (e.kind === 'rows' ? e.rows : []))).toEqual([[1], [2], [3]]);
    expect(b.flatMap((e) => (e.kind === 'rows' ? e.rows : []))).toEqual([[9]]);
    expect(new Set([a[0], b[0]].map((e) => (e as { queryId: string }).queryId))).toEqual(new Set(['fake_1', 'fake_2']));
  });
});
