import { describe, expect, it } from 'vitest';
import type { Column, Principal, Row } from '../../src/domain/model.ts';
import type { QueryEngine, QueryEvent } from '../../src/ports/query-engine.ts';
import { Call, readCapped, weighedRowsJsonBytes, type QuerySettings, type ReadLimits } from '../../src/use-cases/call.ts';
import { DescribeTable, ListCatalogs } from '../../src/use-cases/catalog.ts';
import { boundedJson, jsonBytesWithin, stringJsonBytes } from '../../src/use-cases/json-weight.ts';
import { truncationMarker } from '../../src/use-cases/result-budget.ts';
import { ExecuteQuery, ExplainQuery } from '../../src/use-cases/statements.ts';
import { FakeQueryPolicy } from '../fakes/fake-query-policy.ts';
import { InMemoryQueryEngine } from '../fakes/in-memory-query-engine.ts';
import { expectDomainError, rejectionOf } from './support/domain-error.ts';
import { roomySlots } from './support/slots.ts';
import { noPages } from '../fakes/no-pages.ts';

const principal: Principal = { subject: 'alice', scopes: [], via: 'test' };
const noSignal = () => new AbortController().signal;
const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');
/** What the documented rule says a value weighs: the UTF-8 bytes of its JSON. */
const json = (v: unknown) => utf8(JSON.stringify(v));
/** No lone surrogate: a cut never splits a character. */
const wellFormed = (s: string) => Buffer.from(s, 'utf8').toString('utf8') === s;

const col: Column[] = [{ name: 'v', type: 'varchar' }];
/** The documented weight of a column: name and type JSON plus 18 bytes of framing, twice. */
const HEADER = 2 * (json('v') + json('varchar') + 18);
/** The documented weight of a row: its values plus one byte each and two more, twice. */
const rowBytes = (row: readonly unknown[]) => 2 * (row.reduce<number>((n, v) => n + json(v) + 1, 0) + 2);

function read(engine: QueryEngine, limits: Partial<ReadLimits>) {
  return readCapped(engine, 'Q', new Call(principal, noSignal(), 5_000, roomySlots()), {
    maxRows: 1_000_000,
    maxBytes: 1024 * 1024,
    maxValueBytes: 64 * 1024,
    defaults: {},
    ...limits,
  });
}

function engineWith(rows: readonly (readonly unknown[])[], columns: readonly Column[] = col, batchSize = 2) {
  return new InMemoryQueryEngine().define('Q', { columns, rows, batchSize });
}

/** Strings a hostile table could hold: escapes, controls, every UTF-8 width, lone surrogates. */
const HOSTILE_STRINGS = [
  '',
  'plain ascii',
  'quote " and backslash \\',
  'tab\tnewline\ncr\rbackspace\bformfeed\f',
  '\u0000\u0001\u001f controls',
  'é è ñ ß',
  '漢字かな',
  '😀👍🏽 emoji and ZWJ 👩‍👩‍👧',
  'lone high \ud800 here',
  'lone low \udc00 here',
  'reversed pair \udc00\ud800',
  '\ud800',
  '</script><!-- \u2028\u2029',
];

describe('what a value weighs: the UTF-8 bytes of its JSON', () => {
  it.each(HOSTILE_STRINGS)('stringJsonBytes(%j) is the UTF-8 length of JSON.stringify', (s) => {
    expect(stringJsonBytes(s)).toBe(json(s));
    expect(stringJsonBytes(s.repeat(50))).toBe(json(s.repeat(50)));
  });

  const NESTED: unknown[] = [
    [],
    {},
    [1, -2.5, 1e21, true, false, null],
    ['a', ['b', ['c', [HOSTILE_STRINGS]]]],
    { '1': 'one', '10': ['x'], k: { 'we"ird': null, '\u0000': '😀', __proto__x: 1 } },
    [{ a: [{ b: [{ c: 'd' }] }] }],
    HOSTILE_STRINGS.map((s) => ({ [s]: s })),
  ];

  it.each(NESTED.map((v) => [JSON.stringify(v).slice(0, 40), v]))('a nested value that fits, %s, weighs its JSON exactly, and shows as JSON.stringify', (_, v) => {
    expect(jsonBytesWithin(v, 1_000_000)).toBe(json(v));
    expect(jsonBytesWithin(v, json(v))).toBe(json(v)); // exactly at the limit
    if (json(v) > 2) expect(jsonBytesWithin(v, json(v) - 1)).toBeGreaterThan(json(v) - 1);
    expect(boundedJson(v as object, 1_000_000)).toEqual({ text: JSON.stringify(v), complete: true, bytes: json(v) });
  });

  it('stops walking a huge nested value soon after the limit, whether weighing or showing it', () => {
    let visited = 0;
    const huge = new Proxy(Array.from({ length: 1_000_000 }, () => 'xxxxxxxxxx'), {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) visited++;
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    expect(jsonBytesWithin(huge, 1000)).toBeGreaterThan(1000);
    expect(visited).toBeLessThan(100);
    visited = 0;
    const out = boundedJson(huge, 1000);
    expect(out.complete).toBe(false);
    expect(out.text.startsWith('["xxxxxxxxxx","xxxxxxxxxx"')).toBe(true);
    expect(visited).toBeLessThan(100);
  });

  it('treats nesting deeper than 100 levels as too long', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 150; i++) deep = [deep];
    expect(jsonBytesWithin(deep, 1_000_000)).toBeGreaterThan(1_000_000);
    expect(boundedJson(deep as object, 1_000_000).complete).toBe(false);
    let fine: unknown = 'x';
    for (let i = 0; i < 50; i++) fine = [fine];
    expect(jsonBytesWithin(fine, 1_000_000)).toBe(json(fine));
  });
});

describe('readCapped under the byte budget (TRINO_MAX_RESULT_BYTES)', () => {
  const row = ['x'.repeat(100)];

  it('keeps rows up to the exact byte boundary and stops at the first that does not fit, cancelling the query', async () => {
    const rows = Array.from({ length: 10 }, () => row);
    const exact = HEADER + 3 * rowBytes(row);

    const atBoundary = engineWith(rows);
    const full = await read(atBoundary, { maxBytes: exact });
    expect(full).toMatchObject({ rowCount: 3, truncated: true, truncatedBy: 'bytes' });
    expect(full.rows).toEqual([row, row, row]);
    expect(atBoundary.cancelled).toEqual(['fake_1']);
    expect(atBoundary.isRunning('fake_1')).toBe(false);

    const oneShort = await read(engineWith(rows), { maxBytes: exact - 1 });
    expect(oneShort).toMatchObject({ rowCount: 2, truncated: true, truncatedBy: 'bytes' });
  });

  it('returns a result that fits exactly as complete, and lets the query finish', async () => {
    const engine = engineWith([row, row, row]);
    const r = await read(engine, { maxBytes: HEADER + 3 * rowBytes(row) });
    expect(r).toMatchObject({ rowCount: 3, truncated: false });
    expect(r.truncatedBy).toBeUndefined();
    expect(engine.cancelled).toEqual([]);
  });

  it.each([
    ['é', 2],
    ['漢', 3],
    ['😀', 4],
    ['"', 2],
    ['\u0001', 6],
  ])('counts %j as %i bytes a character', async (ch, width) => {
    const value = ch.repeat(1000);
    expect(json(value)).toBe(1000 * width + 2);
    const rows = Array.from({ length: 5 }, () => [value]);
    const exact = HEADER + 2 * rowBytes([value]);
    expect((await read(engineWith(rows), { maxBytes: exact })).rowCount).toBe(2);
    expect((await read(engineWith(rows), { maxBytes: exact - 1 })).rowCount).toBe(1);
  });

  it('weighs nested arrays, maps and rows by their JSON', async () => {
    const nested = [{ k: ['a', 'b'], m: { x: 1 } }, [[1, 2], [3]], null];
    const rows = Array.from({ length: 4 }, () => nested);
    const columns: Column[] = [
      { name: 'a', type: 'array(map(varchar, varchar))' },
      { name: 'b', type: 'array(array(integer))' },
      { name: 'c', type: 'row(x integer)' },
    ];
    const header = columns.reduce((n, c) => n + 2 * (json(c.name) + json(c.type) + 18), 0);
    const r = await read(engineWith(rows, columns), { maxBytes: header + 2 * rowBytes(nested) });
    expect(r.rows).toEqual([nested, nested]);
    expect(r.truncatedBy).toBe('bytes');
  });

  it('stops a wide row at the first value past the budget, and the header counts', async () => {
    const columns = Array.from({ length: 2000 }, (_, i) => ({ name: `c${i}`, type: 'varchar' }));
    const wide = columns.map(() => 'y'.repeat(50));
    const r = await read(engineWith([wide, wide], columns), { maxBytes: 200_000 });
    expect(r.rows).toEqual([]);
    expect(r).toMatchObject({ truncated: true, truncatedBy: 'bytes' });
    expect(r.columns).toHaveLength(2000);
  });

  it('fails a header that alone exceeds the budget with INVALID_ARGUMENT, and cancels the query', async () => {
    const columns = Array.from({ length: 5000 }, (_, i) => ({ name: `column_${i}`, type: 'varchar' }));
    const engine = engineWith([columns.map(() => 1)], columns);
    expectDomainError(await rejectionOf(read(engine, { maxBytes: 100_000 })), 'INVALID_ARGUMENT');
    expect(engine.cancelled).toEqual(['fake_1']);
  });

  it('ends truncated by bytes when the engine reports an oversized page, keeping the rows read before it', async () => {
    let returned = false;
    const engine: QueryEngine = {
      ...noPages,
      async *run(): AsyncGenerator<QueryEvent> {
        try {
          yield { kind: 'started', queryId: 'q1' };
          yield { kind: 'columns', columns: col };
          yield { kind: 'rows', rows: [['a'], ['b']] };
          yield { kind: 'oversized', limitBytes: 16 };
          yield { kind: 'rows', rows: [['never']] };
        } finally {
          returned = true;
        }
      },
    };
    const r = await read(engine, {});
    expect(r).toMatchObject({ rows: [['a'], ['b']], truncated: true, truncatedBy: 'bytes', queryId: 'q1' });
    expect(returned).toBe(true);
  });

  it('says rows when the row cap is hit first', async () => {
    const r = await read(engineWith([row, row, row]), { maxRows: 2 });
    expect(r).toMatchObject({ rowCount: 2, truncated: true, truncatedBy: 'rows' });
  });
});

describe('the per-value limit (TRINO_MAX_VALUE_BYTES) and its marker', () => {
  const LIMIT = 1000;
  const marker = truncationMarker(LIMIT);
  const readOne = (value: unknown, limits: Partial<ReadLimits> = {}) => read(engineWith([[value, 7]], [...col, { name: 'n', type: 'integer' }]), { maxValueBytes: LIMIT, ...limits });

  it('keeps a value whose JSON is exactly the limit, and cuts one a byte longer', async () => {
    const exact = 'x'.repeat(LIMIT - 2);
    const kept = await readOne(exact);
    expect(kept.rows[0]).toEqual([exact, 7]);
    expect(kept.truncatedValues).toBeUndefined();

    const over = await readOne(exact + 'x');
    const cut = over.rows[0]![0] as string;
    expect(cut.endsWith(marker)).toBe(true);
    expect(json(cut)).toBe(LIMIT); // the longest prefix that fits, for ASCII
    expect(cut.startsWith('xxxx')).toBe(true);
    expect(over.rows[0]![1]).toBe(7); // the other values of the row are untouched
    expect(over).toMatchObject({ truncatedValues: 1, truncated: false });
  });

  it.each(['é', '漢', '😀', '"', '\u0001', '\ud800', 'a😀'])('cuts a long run of %j without splitting a character, within the limit', async (ch) => {
    const r = await readOne(ch.repeat(5000));
    const cut = r.rows[0]![0] as string;
    expect(cut.endsWith(marker)).toBe(true);
    expect(json(cut)).toBeLessThanOrEqual(LIMIT);
    expect(json(cut)).toBeGreaterThan(LIMIT - 7); // at most one character short of the limit
    const prefix = cut.slice(0, -marker.length);
    expect(ch.repeat(5000).startsWith(prefix)).toBe(true);
    if (!ch.includes('\ud800')) expect(wellFormed(prefix)).toBe(true);
  });

  it('replaces a nested value past the limit by a string: the start of its JSON and the marker', async () => {
    const big = Array.from({ length: 500 }, (_, i) => ({ key: `value ${i}` }));
    const r = await readOne(big);
    const cut = r.rows[0]![0] as string;
    expect(typeof cut).toBe('string');
    expect(cut.startsWith('[{"key":"value 0"},{"key":"value 1"}')).toBe(true);
    expect(cut.endsWith(marker)).toBe(true);
    expect(json(cut)).toBeLessThanOrEqual(LIMIT);
    expect(r.truncatedValues).toBe(1);
  });

  it('keeps a nested value that fits as it is', async () => {
    const small = [{ k: 'v' }, [1, 2]];
    expect((await readOne(small)).rows[0]![0]).toBe(small);
  });

  it('charges the cut value, not the original, so 1 MB values fill the budget with their prefixes', async () => {
    const mb = 'z'.repeat(1_000_000);
    const engine = engineWith(Array.from({ length: 500 }, () => [mb]), col, 8);
    const r = await read(engine, { maxBytes: 4 * 1024 * 1024, maxValueBytes: 64 * 1024 });
    const perRow = 2 * (64 * 1024 + 3);
    expect(r.rowCount).toBe(Math.floor((4 * 1024 * 1024 - HEADER) / perRow));
    expect(r).toMatchObject({ truncated: true, truncatedBy: 'bytes', truncatedValues: r.rowCount });
    expect(engine.cancelled).toEqual(['fake_1']);
  });

  it('cuts column names and types past the limit too', async () => {
    const r = await read(engineWith([[1]], [{ name: 'n'.repeat(5000), type: 'varchar' }]), { maxValueBytes: LIMIT });
    expect(r.columns[0]!.name.endsWith(marker)).toBe(true);
    expect(r.columns[0]!.type).toBe('varchar');
  });

  it('never cuts when the value limit is infinite: a value that does not fit ends the read', async () => {
    const engine = engineWith([['short'], ['w'.repeat(10_000)], ['after']]);
    const r = await read(engine, { maxBytes: 5000, maxValueBytes: Number.POSITIVE_INFINITY });
    expect(r.rows).toEqual([['short']]);
    expect(r).toMatchObject({ truncated: true, truncatedBy: 'bytes' });
  });
});

describe('use-cases read under the byte budget', () => {
  const settings: QuerySettings = { maxRows: 1000, maxResultBytes: 10_000, maxValueBytes: 500, timeoutMs: 5_000, defaults: {} };

  it('ExecuteQuery truncates by bytes and cancels the query', async () => {
    const engine = new InMemoryQueryEngine().define('SELECT v FROM t', { columns: col, rows: Array.from({ length: 100 }, () => ['v'.repeat(400)]) });
    const r = await new ExecuteQuery(engine, settings, new FakeQueryPolicy(), roomySlots()).execute({ sql: 'SELECT v FROM t' }, principal, noSignal());
    expect(r).toMatchObject({ truncated: true, truncatedBy: 'bytes' });
    expect(r.rowCount).toBeLessThan(100);
    expect(engine.cancelled).toEqual(['fake_1']);
  });

  it('ListCatalogs never shows a cut name: a name past the budget ends the listing, truncated', async () => {
    const engine = new InMemoryQueryEngine().define('SHOW CATALOGS', { columns: col, rows: [['a'], ['b'.repeat(20_000)], ['c']] });
    expect(await new ListCatalogs(engine, settings, new FakeQueryPolicy(), roomySlots()).execute(principal, noSignal())).toEqual({
      names: ['a'],
      truncated: true,
      truncatedBy: 'bytes',
    });
  });

  it('DescribeTable, which reads without a row cap, stops at the budget and says so', async () => {
    const describeCols = ['Column', 'Type', 'Extra', 'Comment'].map((name) => ({ name, type: 'varchar' }));
    const rows = Array.from({ length: 1000 }, (_, i) => [`c${i}`, 'varchar', '', 'c'.repeat(600)]);
    const engine = new InMemoryQueryEngine().define('DESCRIBE "c"."s"."t"', { columns: describeCols, rows });
    const r = await new DescribeTable(engine, settings, new FakeQueryPolicy(), roomySlots()).execute({ table: 'c.s.t' }, principal, noSignal());
    expect(r.truncated).toBe(true);
    expect(r.columns.length).toBeGreaterThan(0);
    expect(r.columns.length).toBeLessThan(1000);
    expect(r.columns[0]!.comment!.endsWith(truncationMarker(500))).toBe(true);
    expect(engine.cancelled).toEqual(['fake_1']);
  });

  it('ExplainQuery lets a plan fill the budget, cut with the marker past it', async () => {
    const plan = 'Fragment 0\n'.repeat(5000);
    const engine = new InMemoryQueryEngine().define('EXPLAIN (TYPE LOGICAL) SELECT 1', { columns: [{ name: 'Query Plan', type: 'varchar' }], rows: [[plan]] });
    const r = await new ExplainQuery(engine, settings, new FakeQueryPolicy(), roomySlots()).execute({ sql: 'SELECT 1' }, principal, noSignal());
    expect(r.truncated).toBe(true);
    expect(r.plan.startsWith('Fragment 0\nFragment 0\n')).toBe(true);
    expect(r.plan).toMatch(/…\[value truncated by trino-mcp: over \d+ bytes\]$/);
    expect(json(r.plan)).toBeGreaterThan(settings.maxValueBytes); // not held to the per-value limit
    expect(2 * json(r.plan)).toBeLessThanOrEqual(settings.maxResultBytes);
  });

  it('refuses a statement whose allowlist analysis is larger than the budget, and never runs it', async () => {
    const engine = new InMemoryQueryEngine().define('EXPLAIN (TYPE IO, FORMAT JSON) SELECT 1', {
      columns: [{ name: 'Query Plan', type: 'varchar' }],
      rows: [[JSON.stringify({ inputTableColumnInfos: Array.from({ length: 1000 }, (_, i) => ({ table: `t${i}` })) })]],
    });
    const policy = new FakeQueryPolicy({ needsAnalysis: true });
    const err = await rejectionOf(new ExecuteQuery(engine, settings, policy, roomySlots()).execute({ sql: 'SELECT 1' }, principal, noSignal()));
    expectDomainError(err, 'POLICY_DENIED', { rule: 'ALLOWLIST' });
    expect(engine.statements).toEqual(['EXPLAIN (TYPE IO, FORMAT JSON) SELECT 1']);
    expect(policy.analyses).toEqual([]); // a cut plan is never judged
  });
});

// The rows readCapped hands on are the engine's own when nothing was cut: no copy on the hot path.
it('does not copy a row that needs no cut', async () => {
  const rows: Row[] = [['a', 1]];
  const engine: QueryEngine = {
    ...noPages,
    async *run(): AsyncGenerator<QueryEvent> {
      yield { kind: 'started', queryId: 'q' };
      yield { kind: 'columns', columns: [...col, { name: 'n', type: 'integer' }] };
      yield { kind: 'rows', rows };
    },
  };
  expect((await read(engine, {})).rows[0]).toBe(rows[0]);
});

describe('the JSON bytes of the rows a read kept (what the audit line counts without serialising them again)', () => {
  const columns: Column[] = [
    { name: 'a', type: 'varchar' },
    { name: 'b', type: 'json' },
    { name: 'c', type: 'double' },
  ];
  const nested = [{ k: 'v', 'é': [1, null, true] }, [], {}, [['deep', 'x'.repeat(200)]]];
  const numbers = [0, -0, 1.5, -2e-7, 1e21, 123456789012, Number.MAX_SAFE_INTEGER];

  it('equals the UTF-8 bytes of JSON.stringify of exactly the rows kept, cut values included', async () => {
    const rows: unknown[][] = [];
    for (let i = 0; i < 60; i++) {
      rows.push([HOSTILE_STRINGS[i % HOSTILE_STRINGS.length]!, nested[i % nested.length]!, numbers[i % numbers.length]!]);
    }
    rows.push(['y'.repeat(5_000), { long: 'z'.repeat(5_000) }, null]); // both cut at 1,000 bytes
    rows.push([null, null, null]);
    for (const maxBytes of [1024 * 1024, 6_000]) {
      const r = await read(engineWith(rows, columns, 7), { maxBytes, maxValueBytes: 1_000 });
      expect(r.rowCount).toBeGreaterThan(0);
      expect(weighedRowsJsonBytes(r.rows)).toBe(json(r.rows));
    }
    const all = await read(engineWith(rows, columns, 7), { maxValueBytes: 1_000 });
    expect(all.truncatedValues).toBe(2);
    expect(weighedRowsJsonBytes(all.rows)).toBe(json(all.rows));
  });

  it('is 2 for no rows, and unknown for an array no read kept', async () => {
    const none = await read(engineWith([], columns), {});
    expect(weighedRowsJsonBytes(none.rows)).toBe(2);
    expect(weighedRowsJsonBytes([...none.rows])).toBeUndefined();
  });
});
