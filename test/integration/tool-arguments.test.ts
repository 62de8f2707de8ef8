/**
 * Tool arguments at the edges, over stdio (no HTTP body limit in the way) on real Trino:
 * empty, 1 MB strings, odd Unicode, wrong types and extra properties each get a tool
 * error with a stable code — never INTERNAL, never a dropped connection — and the server
 * answers the next call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectStdio, GENERATIONS, type McpSession } from '../support/mcp-clients.ts';
import { serverEnv } from '../support/processes.ts';

const MB = 1024 * 1024;

/** [what, tool, the code expected, arguments]. */
const CASES: ReadonlyArray<readonly [string, string, string, Record<string, unknown>]> = [
  ['no arguments at all', 'execute_query', 'INVALID_ARGUMENT', {}],
  ['an empty statement', 'execute_query', 'INVALID_ARGUMENT', { sql: '' }],
  ['a number for the SQL', 'execute_query', 'INVALID_ARGUMENT', { sql: 42 }],
  ['an array for the SQL', 'execute_query', 'INVALID_ARGUMENT', { sql: ['SELECT 1'] }],
  ['an object for the SQL', 'execute_query', 'INVALID_ARGUMENT', { sql: { toString: 'SELECT 1' } }],
  ['a string for the limit', 'execute_query', 'INVALID_ARGUMENT', { sql: 'SELECT 1', limit: '10' }],
  ['a zero limit', 'execute_query', 'INVALID_ARGUMENT', { sql: 'SELECT 1', limit: 0 }],
  ['a fractional limit', 'execute_query', 'INVALID_ARGUMENT', { sql: 'SELECT 1', limit: 1.5 }],
  ['a limit of 1e308', 'execute_query', 'INVALID_ARGUMENT', { sql: 'SELECT 1', limit: 1e308 }],
  ['an extra property', 'execute_query', 'INVALID_ARGUMENT', { sql: 'SELECT 1', extra: true }],
  ['a misspelt property', 'execute_query', 'INVALID_ARGUMENT', { sql: 'SELECT 1', limt: 5 }],
  ['1 MB of spaces', 'execute_query', 'POLICY_DENIED', { sql: ' '.repeat(MB) }],
  ['1 MB of comment', 'execute_query', 'POLICY_DENIED', { sql: `/* ${'x'.repeat(MB)} */` }],
  ['a 1 MB identifier', 'execute_query', 'QUERY_INVALID', { sql: `SELECT ${'x'.repeat(MB)}` }],
  ['a NUL in the SQL', 'execute_query', 'QUERY_INVALID', { sql: 'SELECT 1\u0000' }],
  ['an unknown explain type', 'explain_query', 'INVALID_ARGUMENT', { sql: 'SELECT 1', type: 'ANALYZE' }],
  ['an empty table name', 'get_table_schema', 'INVALID_ARGUMENT', { table: '' }],
  ['four name parts', 'get_table_schema', 'INVALID_ARGUMENT', { table: 'a.b.c.d' }],
  // Trino's own bound on the text of a query (1,000,000 characters), named in the message.
  ['a 1 MB table name', 'get_table_schema', 'QUERY_INVALID', { table: `tpch.tiny.${'t'.repeat(MB)}` }],
  ['a lone surrogate in a table name', 'get_table_schema', 'NOT_FOUND', { table: 'tpch.tiny.\ud800' }],
  ['right-to-left override and NUL in a schema name', 'list_tables', 'NOT_FOUND', { catalog: 'tpch', schema: '\u202e\u0000' }],
  ['emoji for a catalog', 'list_schemas', 'NOT_FOUND', { catalog: '🦆' }],
  ['an empty catalog', 'list_schemas', 'INVALID_ARGUMENT', { catalog: '' }],
];

describe.each(GENERATIONS)('%s over stdio', (generation) => {
  let client: McpSession;
  beforeAll(async () => {
    client = await connectStdio(generation, serverEnv());
  });
  afterAll(() => client.close());

  it.each(CASES)('%s (%s) → a tool error with code %s', async (_what, tool, code, args) => {
    const r = await client.callTool(tool, args);
    expect(r.isError, JSON.stringify(r.structuredContent)).toBe(true);
    expect(r.structuredContent?.['code'], r.content[0]?.text).toBe(code);
    expect(r.content[0]?.text).toMatch(new RegExp(`^${code}: `));
  });

  it('1 MB of odd Unicode in a literal comes back cut at TRINO_MAX_VALUE_BYTES, not as an error', async () => {
    const r = await client.callTool('execute_query', { sql: `SELECT '${'🦆\u202e\u00e9'.repeat(MB / 9)}' AS v` });
    expect(r.isError, r.content[0]?.text).toBeFalsy();
    expect(r.structuredContent).toMatchObject({ rowCount: 1, truncatedValues: 1 });
  });

  it('still answers after all of that', async () => {
    expect((await client.callTool('execute_query', { sql: 'SELECT count(*) FROM tpch.tiny.nation' })).structuredContent?.['rows']).toEqual([[25]]);
  });
});
