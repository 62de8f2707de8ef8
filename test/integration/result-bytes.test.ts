import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrinoQueryEngine } from '../../src/adapters/trino/trino-query-engine.ts';
import type { QueryEvent } from '../../src/ports/query-engine.ts';
import { CapturingLogger } from '../fakes/capturing-logger.ts';
import { connectStdio, type McpSession, type ToolResult } from '../support/mcp-clients.ts';
import { serverEnv } from '../support/processes.ts';
import { connectStdioWithNodeFlags, type FlaggedStdioSession } from '../support/stdio-node-flags.ts';
import { settledQueryState, trinoQuery, trinoUrl } from '../support/trino-sql.ts';

const MiB = 1024 * 1024;
const DEFAULT_RESULT_BYTES = 4 * MiB;
const DEFAULT_VALUE_BYTES = 64 * 1024;
const marker = (limit: number) => `…[value truncated by trino-mcp: over ${limit} bytes]`;
const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

/** What a tool answer weighs, both renderings: the text and the JSON of structuredContent. */
function rendered(r: ToolResult): number {
  return utf8(r.content.map((c) => c.text ?? '').join('')) + utf8(JSON.stringify(r.structuredContent));
}

/**
 * A result cut at the budget stays open behind a cursor for fetch_more: one second of
 * TRINO_CURSOR_TTL makes the server cancel it soon, so that each test sees its query end.
 */
const SHORT_CURSORS = { TRINO_CURSOR_TTL: '1' };

/** The issue's own example: five hundred values of one megabyte. */
const MEGABYTE_ROWS = "SELECT rpad('x', 1000000, 'x') AS v FROM UNNEST(sequence(1, 500))";

interface Outcome {
  readonly cursor?: string;
  readonly truncated?: boolean;
  readonly truncatedBy?: string;
  readonly truncatedValues?: number;
  readonly rowCount?: number;
  readonly rows?: unknown[][];
  readonly queryId?: string;
}

describe('TrinoQueryEngine bounds one Trino response (maxResponseBytes)', () => {
  it('ends with oversized instead of reading a page past the bound, and cancels the query', async () => {
    const engine = new TrinoQueryEngine(
      { server: trinoUrl(), user: 'trino-mcp-it', verifyCertificates: true, source: 'trino-mcp-it', maxResponseBytes: MiB },
      new CapturingLogger(),
    );
    const events: QueryEvent[] = [];
    const principal = { subject: 'it', scopes: [], via: 'test' };
    // Twenty rows of 3 MB: the first page is past the bound while the query still has rows to
    // send, so the cancel finds it running (a one-row query may already be FINISHED by then).
    const sql = "SELECT rpad('x', 3000000, 'x') AS v FROM UNNEST(sequence(1, 20))";
    for await (const e of engine.run({ sql, principal }, new AbortController().signal)) events.push(e);
    expect(events.map((e) => e.kind).filter((k) => k !== 'columns' && k !== 'progress')).toEqual(['started', 'oversized']);
    expect(events.at(-1)).toEqual({ kind: 'oversized', limitBytes: MiB });
    const queryId = events[0]?.kind === 'started' ? events[0].queryId : '';
    expect(await settledQueryState(queryId)).toEqual({ state: 'FAILED', errorCode: 'USER_CANCELED' });
  });
});

describe('the built server with the default byte limits', () => {
  let mcp: McpSession;
  beforeAll(async () => {
    mcp = await connectStdio('v2 client, protocol 2026-07-28', serverEnv(SHORT_CURSORS));
    await mcp.listTools(); // the client then checks structuredContent against each outputSchema
  });
  afterAll(async () => {
    await mcp?.close();
  });

  it('answers 500 values of 1 MB truncated by bytes, each value cut with the marker, with a cursor; the query is cancelled past the TTL', async () => {
    const r = await mcp.callTool('execute_query', { sql: MEGABYTE_ROWS });
    expect(r.isError).toBeFalsy();
    const s = r.structuredContent as Outcome;
    expect(s).toMatchObject({ truncated: true, truncatedBy: 'bytes' });
    expect(s.rowCount).toBeGreaterThan(10);
    expect(s.rowCount).toBeLessThan(500);
    expect(s.truncatedValues).toBe(s.rowCount);
    for (const [v] of s.rows!) {
      expect(String(v).endsWith(marker(DEFAULT_VALUE_BYTES))).toBe(true);
      expect(utf8(JSON.stringify(v))).toBeLessThanOrEqual(DEFAULT_VALUE_BYTES);
    }
    expect(rendered(r)).toBeLessThanOrEqual(DEFAULT_RESULT_BYTES + 2048);
    expect(s.cursor).toBeTypeOf('string');
    expect(r.content[0]?.text?.split('\n').at(-1)).toContain('call fetch_more');
    expect(await settledQueryState(s.queryId!)).toEqual({ state: 'FAILED', errorCode: 'USER_CANCELED' });
  });

  it('returns a value just under the per-value limit whole, and cuts one just over it', async () => {
    const under = DEFAULT_VALUE_BYTES - 2; // the JSON adds two quotes
    const r = await mcp.callTool('execute_query', { sql: `SELECT rpad('u', ${under}, 'u') AS under, rpad('o', ${under + 1}, 'o') AS over` });
    const [[kept, cut]] = (r.structuredContent as Outcome).rows as [[string, string]];
    expect(kept).toBe('u'.repeat(under));
    expect(cut.endsWith(marker(DEFAULT_VALUE_BYTES))).toBe(true);
    expect(utf8(JSON.stringify(cut))).toBe(DEFAULT_VALUE_BYTES);
    expect(r.structuredContent).toMatchObject({ truncated: false, truncatedValues: 1 });
  });
});

describe('the built server with small byte limits (TRINO_MAX_RESULT_BYTES=20000, TRINO_MAX_VALUE_BYTES=1000)', () => {
  let mcp: McpSession;
  const table = `it_wide_${randomUUID().replaceAll('-', '')}`;
  beforeAll(async () => {
    const columns = Array.from({ length: 400 }, (_, i) => `column_with_a_long_name_${i} varchar`).join(', ');
    await trinoQuery(`CREATE TABLE memory.default.${table} (${columns})`);
    mcp = await connectStdio('v2 client, protocol 2026-07-28', serverEnv({ TRINO_MAX_RESULT_BYTES: '20000', TRINO_MAX_VALUE_BYTES: '1000' }));
    await mcp.listTools();
  });
  afterAll(async () => {
    await mcp?.close();
    await trinoQuery(`DROP TABLE IF EXISTS memory.default.${table}`);
  });

  it('cuts multi-byte values on a character boundary, within the limit', async () => {
    const r = await mcp.callTool('execute_query', { sql: "SELECT rpad('é', 3000, '😀漢') AS v" });
    const [[v]] = (r.structuredContent as Outcome).rows as [[string]];
    expect(v.endsWith(marker(1000))).toBe(true);
    const prefix = v.slice(0, -marker(1000).length);
    expect(Buffer.from(prefix, 'utf8').toString('utf8')).toBe(prefix); // no half character
    expect(utf8(JSON.stringify(v))).toBeLessThanOrEqual(1000);
    expect(utf8(JSON.stringify(v))).toBeGreaterThan(1000 - 4);
  });

  it('turns a nested value past the limit into the start of its JSON and the marker', async () => {
    const r = await mcp.callTool('execute_query', { sql: "SELECT map(sequence(1, 500), transform(sequence(1, 500), i -> 'v' || CAST(i AS varchar))) AS m" });
    const [[m]] = (r.structuredContent as Outcome).rows as [[string]];
    expect(m.startsWith('{"1":"v1","2":"v2"')).toBe(true);
    expect(m.endsWith(marker(1000))).toBe(true);
  });

  it('get_table_schema of a table too wide for the budget says truncated, within the budget', async () => {
    const r = await mcp.callTool('get_table_schema', { table: `memory.default.${table}` });
    expect(r.isError).toBeFalsy();
    const s = r.structuredContent as { columns: unknown[]; truncated: boolean };
    expect(s.truncated).toBe(true);
    expect(s.columns.length).toBeGreaterThan(10);
    expect(s.columns.length).toBeLessThan(400);
    expect(rendered(r)).toBeLessThanOrEqual(20000 + 2048);
  });

  it('explain_query of a plan past the budget cuts it with the marker', async () => {
    const select = Array.from({ length: 300 }, (_, i) => `column_with_a_long_name_${i}`).join(', ');
    const r = await mcp.callTool('explain_query', { sql: `SELECT ${select} FROM memory.default.${table}`, type: 'DISTRIBUTED' });
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent).toMatchObject({ truncated: true });
    expect((r.structuredContent as { plan: string }).plan).toMatch(/…\[value truncated by trino-mcp: over \d+ bytes\]$/);
    expect(rendered(r)).toBeLessThanOrEqual(20000 + 2048);
  });
});

/** Hostile results of every shape; each would hold hundreds of MB if read whole. */
const HOSTILE: ReadonlyArray<readonly [string, string]> = [
  ['500 values of 1 MB', MEGABYTE_ROWS],
  [
    'many medium values (10 000 rows × 20 columns × 10 kB)',
    `SELECT ${Array.from({ length: 20 }, (_, i) => `rpad(CAST(n AS varchar), 10000, '${i % 10}') AS c${i}`).join(', ')} FROM UNNEST(sequence(1, 10000)) AS t(n)`,
  ],
  [
    'wide rows (1000 columns of 1 kB)',
    `SELECT ${Array.from({ length: 1000 }, (_, i) => `rpad(CAST(n AS varchar), 1000, 'w') AS c${i}`).join(', ')} FROM UNNEST(sequence(1, 1000)) AS t(n)`,
  ],
  ['nested arrays of 1 MB', "SELECT transform(sequence(1, 10000), i -> rpad(CAST(i AS varchar), 100, 'y')) AS a FROM UNNEST(sequence(1, 300))"],
  ['maps of rows', "SELECT map(sequence(1, 5000), transform(sequence(1, 5000), i -> CAST(ROW(i, rpad('r', 200, 'r')) AS ROW(k integer, v varchar)))) AS m FROM UNNEST(sequence(1, 100))"],
  ['multi-byte values of 1 MB', "SELECT rpad('é', 250000, '😀') AS v FROM UNNEST(sequence(1, 200))"],
  ['varbinary of 1 MB', "SELECT to_utf8(rpad('b', 1000000, 'b')) AS b FROM UNNEST(sequence(1, 300))"],
  [
    'rows of two 20 MB values (pages past the response bound)',
    "SELECT rpad(CAST(n AS varchar), 20000000, 'p') AS a, rpad('q', 20000000, 'q') AS b FROM UNNEST(sequence(1, 2)) AS t(n)",
  ],
];

describe('the built server on a 256 MB heap (node --max-old-space-size=256) survives hostile results', () => {
  let server: FlaggedStdioSession;
  beforeAll(async () => {
    server = await connectStdioWithNodeFlags(['--max-old-space-size=256'], serverEnv(SHORT_CURSORS));
  });
  afterAll(async () => {
    await server?.close();
  });

  // Cancelled at once when no later page could be read (a page past the response bound), else past TRINO_CURSOR_TTL.
  it.each(HOSTILE)('%s: truncated by bytes within the budget, the query cancelled', async (_, sql) => {
    const r = await server.callTool('execute_query', { sql });
    expect(r.isError, JSON.stringify(r.structuredContent)).toBeFalsy();
    expect(r.structuredContent).toMatchObject({ truncated: true, truncatedBy: 'bytes' });
    expect(rendered(r)).toBeLessThanOrEqual(DEFAULT_RESULT_BYTES + 2048);
    expect(await settledQueryState((r.structuredContent as Outcome).queryId!)).toEqual({ state: 'FAILED', errorCode: 'USER_CANCELED' });
    expect(server.alive()).toBe(true);
  });

  it('still answers afterwards, and never ran out of heap', async () => {
    const r = await server.callTool('execute_query', { sql: 'SELECT 1 AS one' });
    expect(r.structuredContent).toMatchObject({ rows: [[1]], truncated: false });
    expect(server.alive()).toBe(true);
    expect(server.stderr()).not.toMatch(/heap out of memory|FATAL ERROR/);
  });
});
