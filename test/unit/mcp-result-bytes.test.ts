import 'reflect-metadata';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport, type CallToolResult } from '@modelcontextprotocol/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Inflight } from '../../src/adapters/lifecycle/inflight.ts';
import { renderTable } from '../../src/adapters/mcp/render.ts';
import { TrinoMcpServer } from '../../src/adapters/mcp/trino-mcp-server.ts';
import { Access } from '../../src/domain/access.ts';
import type { QuerySettings } from '../../src/use-cases/call.ts';
import { truncationMarker } from '../../src/use-cases/result-budget.ts';
import { CapturingLogger } from '../fakes/capturing-logger.ts';
import { FakeQueryPolicy } from '../fakes/fake-query-policy.ts';
import { InMemoryQueryEngine } from '../fakes/in-memory-query-engine.ts';
import { mcpSettingsOf, useCasesOver } from './support/mcp-server.ts';

const MAX_RESULT = 64 * 1024;
const MAX_VALUE = 2 * 1024;
const settings: QuerySettings = { maxRows: 1000, maxResultBytes: MAX_RESULT, maxValueBytes: MAX_VALUE, timeoutMs: 5_000, defaults: { catalog: 'memory', schema: 'default' } };
const MARKER = truncationMarker(MAX_VALUE);
const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

/** What the tool answer weighs on the wire, both renderings: the text and the JSON of structuredContent. */
function rendered(result: CallToolResult): number {
  const text = result.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
  return utf8(text) + utf8(JSON.stringify(result.structuredContent));
}
const textOf = (result: CallToolResult) => (result.content[0] as { text: string }).text;

let engine: InMemoryQueryEngine;
let client: Client;
let close: () => Promise<void>;

beforeEach(async () => {
  engine = new InMemoryQueryEngine();
  const policy = new FakeQueryPolicy();
  const servers = new TrinoMcpServer(
    { ...mcpSettingsOf(settings), maxResultBytes: MAX_RESULT, maxValueBytes: MAX_VALUE },
    new Access({ allowWrites: false, requiredScopes: [], writeScope: undefined }),
    useCasesOver(engine, settings, policy),
    new Inflight(),
    new CapturingLogger(),
  );
  const server = servers.create({ principal: { subject: 'alice', scopes: [], via: 'test' } });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  client = new Client({ name: 'unit-test', version: '1.0.0' });
  await client.connect(clientSide);
  await client.listTools(); // so that the client validates structuredContent against each outputSchema
  close = async () => {
    await client.close();
    await server.close();
  };
});
afterEach(async () => {
  await close();
});

const call = (name: string, args: Record<string, unknown>) => client.callTool({ name, arguments: args }) as Promise<CallToolResult>;

/** Values of every hostile shape, in one row of many columns. */
function hostileRow(i: number): unknown[] {
  return [
    'x'.repeat(1_000_000), // far past the value limit
    '"\\'.repeat(600), // escapes double its JSON
    '\u0001'.repeat(300), // six bytes a character in JSON, one in the text
    '😀漢é'.repeat(200),
    { nested: Array.from({ length: 300 }, (_, j) => [`k${j}`, { deep: [i, j, null, true] }]) },
    'y'.repeat(MAX_VALUE - 2 - i), // just under the limit
    i,
  ];
}
const HOSTILE_COLUMNS = ['huge', 'escapes', 'controls', 'wide chars', 'nested', 'under', 'i'].map((name) => ({ name, type: 'varchar' }));

describe('the byte budget at the MCP edge', () => {
  it('keeps the whole answer, text and structuredContent, within TRINO_MAX_RESULT_BYTES, says so, and cancels the query', async () => {
    engine.define('SELECT hostile', { columns: HOSTILE_COLUMNS, rows: Array.from({ length: 500 }, (_, i) => hostileRow(i)), batchSize: 7 });
    const result = await call('execute_query', { sql: 'SELECT hostile' });
    expect(result.isError).toBeFalsy();
    // The footer and field names are the only bytes outside the budget.
    expect(rendered(result)).toBeLessThanOrEqual(MAX_RESULT + 1024);
    expect(rendered(result)).toBeGreaterThan(MAX_RESULT / 2);
    const s = result.structuredContent as { rowCount: number; truncated: boolean; truncatedBy: string; truncatedValues: number };
    expect(s).toMatchObject({ truncated: true, truncatedBy: 'bytes' });
    expect(s.rowCount).toBeGreaterThan(0);
    expect(s.truncatedValues).toBe(3 * s.rowCount); // huge, escapes and nested: the others fit
    expect(textOf(result).split('\n').at(-1)).toMatch(/reached its size limit of 65536 bytes/);
    expect(engine.cancelled).toEqual(['fake_1']);
  });

  it('shows a cut value with its marker in the text and in structuredContent, and counts it', async () => {
    engine.define('SELECT long', { columns: [{ name: 'v', type: 'varchar' }], rows: [['a'.repeat(10_000)], ['short']] });
    const result = await call('execute_query', { sql: 'SELECT long' });
    const rows = (result.structuredContent as { rows: string[][] }).rows;
    expect(rows[0]![0]!.endsWith(MARKER)).toBe(true);
    expect(rows[1]).toEqual(['short']);
    expect(result.structuredContent).toMatchObject({ truncated: false, truncatedValues: 1 });
    expect(result.structuredContent).not.toHaveProperty('truncatedBy');
    const lines = textOf(result).split('\n');
    expect(lines[1]!.endsWith(MARKER)).toBe(true);
    expect(lines.at(-1)).toContain(`1 value was longer than ${MAX_VALUE} bytes and cut`);
  });

  it('still names the row cap when the row cap stopped the read', async () => {
    engine.define('SELECT many', { columns: [{ name: 'n', type: 'integer' }], rows: Array.from({ length: 50 }, (_, i) => [i]) });
    const result = await call('execute_query', { sql: 'SELECT many', limit: 5 });
    expect(result.structuredContent).toMatchObject({ rowCount: 5, truncated: true, truncatedBy: 'rows' });
    expect(textOf(result).split('\n').at(-1)).toContain('the cap is 5');
  });

  it('tells the model the byte limits and the marker in the execute_query description', async () => {
    const tool = (await client.listTools()).tools.find((t) => t.name === 'execute_query')!;
    expect(tool.description).toContain(`${MAX_RESULT} bytes`);
    expect(tool.description).toContain(MARKER);
    expect(tool.description).toContain('truncatedBy');
  });

  it('get_table_schema says when the columns reached the budget', async () => {
    const rows = Array.from({ length: 400 }, (_, i) => [`c${i}`, 'varchar', '', 'comment '.repeat(30)]);
    engine.define('DESCRIBE "memory"."default"."t"', { columns: ['Column', 'Type', 'Extra', 'Comment'].map((name) => ({ name, type: 'varchar' })), rows });
    const result = await call('get_table_schema', { table: 't' });
    expect(result.structuredContent).toMatchObject({ truncated: true });
    expect(rendered(result)).toBeLessThanOrEqual(MAX_RESULT + 1024);
    expect(textOf(result).split('\n').at(-1)).toMatch(/size limit of 65536 bytes/);
  });

  it('explain_query cuts a plan past the budget with the marker and keeps the answer within it', async () => {
    engine.define('EXPLAIN (TYPE DISTRIBUTED) SELECT 1', { columns: [{ name: 'Query Plan', type: 'varchar' }], rows: [['Fragment "x"\n'.repeat(20_000)]] });
    const result = await call('explain_query', { sql: 'SELECT 1', type: 'DISTRIBUTED' });
    const plan = (result.structuredContent as { plan: string }).plan;
    expect(plan).toMatch(/…\[value truncated by trino-mcp: over \d+ bytes\]$/);
    expect(rendered(result)).toBeLessThanOrEqual(MAX_RESULT + 1024);
  });
});

describe('renderTable footers', () => {
  const limits = { maxRows: 10, maxResultBytes: 4096, maxValueBytes: 512 };
  const base = { columns: [{ name: 'v', type: 'varchar' }], rows: [['a']], rowCount: 1 };

  it('names the byte limit when bytes stopped the read', () => {
    const footer = renderTable({ ...base, truncated: true, truncatedBy: 'bytes' }, limits).split('\n').at(-1)!;
    expect(footer).toMatch(/^\(1 row shown; the result reached its size limit of 4096 bytes/);
    expect(footer).not.toContain('cap is');
  });

  it('counts the cut values and quotes their marker, truncated or not', () => {
    expect(renderTable({ ...base, truncated: false, truncatedValues: 2 }, limits).split('\n').at(-1)).toBe(
      `(1 row. 2 values were longer than 512 bytes and cut: they end with "${truncationMarker(512)}" — use substr() or length() to look at long values.)`,
    );
    expect(renderTable({ ...base, truncated: true, truncatedBy: 'rows', truncatedValues: 1 }, limits)).toContain('1 value was longer');
  });
});
