/**
 * Allowlists under attack, on real Trino: metadata statements that Trino's EXPLAIN IO
 * reports no inputs for, telling outside names that exist from those that do not,
 * writes whose analysis would have side effects (CTAS on the memory connector), and
 * table functions that report no tables. Plus SQL routines with BEGIN … END bodies.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectStdio, type McpSession, type ToolResult } from '../support/mcp-clients.ts';
import { serverEnv } from '../support/processes.ts';
import { trinoQuery } from '../support/trino-sql.ts';

const S = `atk_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
const M = `memory.${S}`;
const ALLOWED_TABLES = ['tpch.tiny.nation', 'tpch.tiny.region', `memory.${S}.ok_*`].join(',');

let mcp: McpSession;

const tables = async () => (await trinoQuery(`SHOW TABLES FROM ${M}`)).map((r) => String(r[0])).sort();

beforeAll(async () => {
  await trinoQuery(`CREATE SCHEMA ${M}`);
  await trinoQuery(`CREATE TABLE ${M}.ok_t AS SELECT 1 AS id`);
  await trinoQuery(`CREATE TABLE ${M}.secret AS SELECT 42 AS id, 'hidden' AS note`);
  await trinoQuery(`COMMENT ON TABLE ${M}.secret IS 'the secret comment'`);
  await trinoQuery(`CREATE VIEW ${M}.secret_view AS SELECT id FROM ${M}.secret WHERE note = 'view body text'`);
  mcp = await connectStdio('v2 client, protocol 2026-07-28', serverEnv({ TRINO_ALLOWED_TABLES: ALLOWED_TABLES, TRINO_ALLOW_WRITE_QUERIES: 'true' }));
});
afterAll(async () => {
  await mcp?.close();
  await trinoQuery(`DROP VIEW IF EXISTS ${M}.secret_view`);
  for (const t of await tables().catch(() => [])) await trinoQuery(`DROP TABLE IF EXISTS ${M}."${t}"`);
  await trinoQuery(`DROP SCHEMA IF EXISTS ${M}`);
});

const read = (sql: string) => mcp.callTool('execute_query', { sql });
const write = (sql: string) => mcp.callTool('execute_statement', { sql });

function expectRefused(r: ToolResult, rule = 'ALLOWLIST'): void {
  expect(r.isError, JSON.stringify(r.structuredContent)).toBe(true);
  expect(r.structuredContent).toMatchObject({ code: 'POLICY_DENIED', rule });
  // Nothing of what the statement would reveal reaches the caller.
  const text = JSON.stringify(r);
  for (const leak of ['the secret comment', 'view body text', 'hidden']) expect(text).not.toContain(leak);
}

function expectServed(r: ToolResult): void {
  expect(r.isError, JSON.stringify(r.structuredContent)).toBeFalsy();
}

describe('metadata statements that EXPLAIN IO reports no inputs for', () => {
  it.each([
    ['SHOW CREATE TABLE (DDL and comment)', `SHOW CREATE TABLE ${M}.secret`],
    ['SHOW CREATE VIEW (the view text)', `SHOW CREATE VIEW ${M}.secret_view`],
    ['SHOW STATS FOR a table (min/max values)', `SHOW STATS FOR ${M}.secret`],
    ['SHOW STATS FOR (query)', `SHOW STATS FOR (SELECT * FROM ${M}.secret)`],
    ['SHOW CATALOGS', 'SHOW CATALOGS'],
    ['SHOW FUNCTIONS', 'SHOW FUNCTIONS'],
    ['SHOW SCHEMAS', 'SHOW SCHEMAS FROM memory'],
    ['DESCRIBE', `DESCRIBE ${M}.secret`],
    ['SHOW COLUMNS', `SHOW COLUMNS FROM ${M}.secret`],
    ['EXPLAIN of SHOW CREATE TABLE', `EXPLAIN SHOW CREATE TABLE ${M}.secret`],
  ])('%s of an outside object is refused', async (_name, sql) => {
    expectRefused(await read(sql));
  });

  it('explain_query of those is refused too', async () => {
    expectRefused(await mcp.callTool('explain_query', { sql: `SHOW CREATE TABLE ${M}.secret` }));
    expectRefused(await mcp.callTool('explain_query', { sql: `SHOW STATS FOR ${M}.secret`, type: 'IO' }));
  });

  it('the same statements on an allowed table are served', async () => {
    for (const sql of ['SHOW CREATE TABLE tpch.tiny.nation', 'SHOW STATS FOR tpch.tiny.nation', 'SHOW STATS FOR (SELECT * FROM tpch.tiny.region)', 'DESCRIBE tpch.tiny.nation']) {
      expectServed(await read(sql));
    }
    const ddl = await read(`SHOW CREATE TABLE ${M}.ok_t`);
    expectServed(ddl);
    expect(JSON.stringify(ddl.structuredContent)).toContain('ok_t');
  });
});

describe('an outside name that exists cannot be told from one that does not', () => {
  it('tables, columns and schemas: the same code, rule and message', async () => {
    const probes = [
      `SELECT * FROM ${M}.secret`,
      `SELECT * FROM ${M}.no_such_table`,
      `SELECT no_such_column FROM ${M}.secret`,
      'SELECT * FROM memory.no_such_schema.t',
      'SELECT * FROM no_such_catalog.s.t',
      `SELECT id + 'x' FROM ${M}.secret`,
    ];
    const answers = [];
    for (const sql of probes) {
      const r = await read(sql);
      expectRefused(r);
      answers.push(r.structuredContent);
    }
    for (const a of answers) expect(a).toEqual(answers[0]);
  });

  it('a syntax error is still reported as such (it says nothing about what exists)', async () => {
    expect((await read('SELECT FROM WHERE')).structuredContent).toMatchObject({ code: 'QUERY_INVALID', errorName: 'SYNTAX_ERROR' });
  });
});

describe('writes under allowlists: the checks change nothing', () => {
  it('a refused CREATE TABLE … AS leaves no table behind (target outside; inputs outside)', async () => {
    const before = await tables();
    expectRefused(await write(`CREATE TABLE ${M}.outside_new AS SELECT * FROM tpch.tiny.nation`));
    expectRefused(await write(`CREATE TABLE ${M}.ok_leak AS SELECT * FROM ${M}.secret`));
    expectRefused(await write(`CREATE TABLE ${M}.ok_leak2 AS SELECT * FROM tpch.tiny.orders`));
    expect(await tables()).toEqual(before);
  });

  it('an allowed CREATE TABLE … AS works, once, with its rows', async () => {
    const r = await write(`CREATE TABLE ${M}.ok_copy AS SELECT nationkey, name FROM tpch.tiny.nation`);
    expectServed(r);
    expect(await trinoQuery(`SELECT count(*) FROM ${M}.ok_copy`)).toEqual([[25]]);
  });

  it('refused INSERT, DELETE and UPDATE leave the tables as they were', async () => {
    expectRefused(await write(`INSERT INTO ${M}.secret VALUES (1, 'x')`));
    expectRefused(await write(`DELETE FROM ${M}.secret`));
    expectRefused(await write(`INSERT INTO ${M}.ok_t SELECT id FROM ${M}.secret`));
    expect(await trinoQuery(`SELECT id, note FROM ${M}.secret`)).toEqual([[42, 'hidden']]);
    expect(await trinoQuery(`SELECT count(*) FROM ${M}.ok_t`)).toEqual([[1]]);
  });
});

describe('table functions', () => {
  it('the built-in ones run, in reads and under allowlists', async () => {
    const seq = await read('SELECT count(*) FROM TABLE(sequence(start => 1, stop => 5))');
    expectServed(seq);
    expect(seq.structuredContent?.['rows']).toEqual([[5]]);
    expectServed(await read('SELECT * FROM TABLE(exclude_columns(input => TABLE(tpch.tiny.region), columns => DESCRIPTOR(comment)))'));
  });

  it('exclude_columns over an outside table is judged by the analysis of what it reads', async () => {
    expectRefused(await read(`SELECT * FROM TABLE(exclude_columns(input => TABLE(${M}.secret), columns => DESCRIPTOR(id)))`));
  });

  it("a connector's table function is refused under allowlists (TABLE_FUNCTION), a pass-through one as PASSTHROUGH", async () => {
    expectRefused(await read("SELECT * FROM TABLE(memory.system.sheet(id => 'x'))"), 'TABLE_FUNCTION');
    expectRefused(await read("SELECT * FROM TABLE(memory.system.query(query => 'SELECT 1'))"), 'PASSTHROUGH');
  });
});

describe('table functions without allowlists', () => {
  let open: McpSession;
  let listed: McpSession;
  beforeAll(async () => {
    [open, listed] = await Promise.all([
      connectStdio('v1 client (@modelcontextprotocol/sdk)', serverEnv()),
      connectStdio('v1 client (@modelcontextprotocol/sdk)', serverEnv({ TRINO_ALLOWED_TABLE_FUNCTIONS: 'sheet' })),
    ]);
  });
  afterAll(async () => {
    await Promise.all([open?.close(), listed?.close()]);
  });

  it("a connector's table function is refused in reads unless TRINO_ALLOWED_TABLE_FUNCTIONS lists it", async () => {
    const sql = "SELECT * FROM TABLE(tpch.system.sheet(id => 'x'))";
    expect((await open.callTool('execute_query', { sql })).structuredContent).toMatchObject({ code: 'POLICY_DENIED', rule: 'TABLE_FUNCTION' });
    // Listed, the policy lets it through and Trino itself answers (tpch has no such function).
    expect((await listed.callTool('execute_query', { sql })).structuredContent).toMatchObject({ code: 'QUERY_INVALID' });
  });
});

describe('SQL routines with BEGIN … END bodies', () => {
  it('a query with an inline routine is one reading statement, and runs', async () => {
    const r = await read('WITH FUNCTION meaning() RETURNS bigint BEGIN DECLARE x bigint DEFAULT 42; RETURN x; END SELECT meaning()');
    expect(r.structuredContent, JSON.stringify(r.structuredContent)).toMatchObject({ rows: [[42]] });
  });

  it('CREATE FUNCTION in a read is refused because it is not a read (READ_ONLY), not as several statements', async () => {
    const r = await read('CREATE FUNCTION memory.default.f() RETURNS bigint BEGIN DECLARE x bigint DEFAULT 1; RETURN x; END');
    expect(r.structuredContent).toMatchObject({ code: 'POLICY_DENIED', rule: 'READ_ONLY' });
  });
});
