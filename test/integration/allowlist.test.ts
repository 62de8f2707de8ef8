/**
 * Allowlists on real Trino: what a query reads comes from Trino's own analysis, so CTEs,
 * subqueries, joins, views, UNNEST, information_schema, the system catalog and quoted
 * mixed-case names are all judged by the tables Trino resolves.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectStdio, type McpSession } from '../support/mcp-clients.ts';
import { serverEnv } from '../support/processes.ts';
import { trinoQuery, uniqueName } from '../support/trino-sql.ts';

const S = uniqueName('allow');
const M = `memory.${S}`;
const ALLOWED_TABLES = ['tpch.tiny.nation', 'tpch.tiny.region', `memory.${S}.allowed_*`, `memory.${S}.v_ok`].join(',');

let mcp: McpSession;

beforeAll(async () => {
  await trinoQuery(`CREATE SCHEMA ${M}`);
  await trinoQuery(`CREATE TABLE ${M}.allowed_t AS SELECT 1 AS id, 'visible' AS note`);
  await trinoQuery(`CREATE TABLE ${M}.secret AS SELECT 42 AS id, 'hidden' AS note`);
  await trinoQuery(`CREATE VIEW ${M}.v_ok AS SELECT id FROM ${M}.allowed_t`);
  await trinoQuery(`CREATE VIEW ${M}.v_bad AS SELECT id FROM ${M}.secret`);
  // A view whose own name is allowed, over a table that is not.
  await trinoQuery(`CREATE VIEW ${M}.allowed_view AS SELECT id FROM ${M}.secret`);
  mcp = await connectStdio('v2 client, protocol 2026-07-28', serverEnv({ TRINO_ALLOWED_TABLES: ALLOWED_TABLES, TRINO_ALLOW_WRITE_QUERIES: 'true' }));
});
afterAll(async () => {
  await mcp?.close();
  for (const v of ['v_ok', 'v_bad', 'allowed_view']) await trinoQuery(`DROP VIEW IF EXISTS ${M}.${v}`);
  for (const t of ['allowed_t', 'secret', 'allowed_new']) await trinoQuery(`DROP TABLE IF EXISTS ${M}.${t}`);
  await trinoQuery(`DROP SCHEMA IF EXISTS ${M}`);
});

async function query(sql: string) {
  return mcp.callTool('execute_query', { sql });
}

function expectAllowed(r: Awaited<ReturnType<typeof query>>) {
  expect(r.isError, JSON.stringify(r.structuredContent)).toBeFalsy();
}

function expectDenied(r: Awaited<ReturnType<typeof query>>, naming?: string) {
  expect(r.structuredContent).toMatchObject({ code: 'POLICY_DENIED', rule: 'ALLOWLIST' });
  if (naming) expect(r.structuredContent?.['message']).toContain(naming);
}

describe('listings show only allowed objects', () => {
  it('list_catalogs hides catalogs with nothing allowed (system)', async () => {
    const r = await mcp.callTool('list_catalogs');
    expect(r.structuredContent?.['catalogs']).toEqual(['memory', 'tpch']);
  });

  it('list_schemas and list_tables filter; an outside catalog or schema is refused', async () => {
    expect((await mcp.callTool('list_schemas', { catalog: 'tpch' })).structuredContent?.['schemas']).toEqual(['tiny']);
    expect((await mcp.callTool('list_tables', { catalog: 'tpch', schema: 'tiny' })).structuredContent?.['tables']).toEqual(['nation', 'region']);
    const memoryTables = (await mcp.callTool('list_tables', { catalog: 'memory', schema: S })).structuredContent?.['tables'] as string[];
    expect([...memoryTables].sort()).toEqual(['allowed_t', 'allowed_view', 'v_ok']);
    expectDenied(await mcp.callTool('list_schemas', { catalog: 'system' }));
    expectDenied(await mcp.callTool('list_tables', { catalog: 'tpch', schema: 'sf1' }));
  });

  it('get_table_schema describes allowed tables and refuses others', async () => {
    expectAllowed(await mcp.callTool('get_table_schema', { table: 'tpch.tiny.nation' }));
    expectDenied(await mcp.callTool('get_table_schema', { table: 'tpch.tiny.orders' }));
    expectDenied(await mcp.callTool('get_table_schema', { table: `${M}.secret` }));
  });
});

describe('queries are judged by the tables Trino resolves', () => {
  it('plain reads, joins and quoted mixed-case names of allowed tables pass', async () => {
    expectAllowed(await query('SELECT count(*) FROM tpch.tiny.nation'));
    expectAllowed(await query('SELECT n.name, r.name FROM tpch.tiny.nation n JOIN tpch.tiny.region r ON n.regionkey = r.regionkey'));
    expectAllowed(await query(`SELECT * FROM "MEMORY"."${S.toUpperCase()}"."Allowed_T"`));
    expectAllowed(await query('SELECT x FROM UNNEST(ARRAY[1, 2, 3]) AS t(x)'));
    expectAllowed(await query('SELECT n.name, x FROM tpch.tiny.nation n CROSS JOIN UNNEST(ARRAY[1, 2]) AS t(x)'));
  });

  // Refusals after Trino's analysis name nothing: an outside table that exists must read like one that does not.
  it('a join, CTE or subquery reaching an outside table is refused', async () => {
    expectDenied(await query('SELECT * FROM tpch.tiny.nation n JOIN tpch.tiny.orders o ON n.nationkey = o.custkey'));
    expectDenied(await query('WITH o AS (SELECT * FROM tpch.tiny.orders) SELECT count(*) FROM o'));
    expectAllowed(await query('WITH n AS (SELECT * FROM tpch.tiny.nation) SELECT count(*) FROM n'));
    expectDenied(await query('SELECT name FROM tpch.tiny.nation WHERE nationkey IN (SELECT custkey FROM tpch.tiny.customer)'));
    expectDenied(await query(`SELECT * FROM "TPCH"."TINY"."ORDERS"`));
    expectDenied(await query('SELECT x, o.orderkey FROM tpch.tiny.orders o CROSS JOIN UNNEST(ARRAY[1]) AS t(x)'));
  });

  it('views are judged by the tables behind them', async () => {
    expectAllowed(await query(`SELECT * FROM ${M}.v_ok`));
    expectDenied(await query(`SELECT * FROM ${M}.v_bad`));
    expectDenied(await query(`SELECT * FROM ${M}.allowed_view`));
  });

  it('information_schema and the system catalog are outside unless allowed', async () => {
    expectDenied(await query('SELECT table_name FROM tpch.information_schema.tables'));
    expectDenied(await query('SELECT * FROM system.runtime.queries'));
    expectDenied(await query('SHOW TABLES FROM tpch.tiny'));
  });

  it('explain_query is held to the same rule', async () => {
    expectAllowed(await mcp.callTool('explain_query', { sql: 'SELECT * FROM tpch.tiny.region' }));
    expectDenied(await mcp.callTool('explain_query', { sql: 'SELECT * FROM tpch.tiny.orders', type: 'IO' }));
  });

  it('write targets are checked too; DDL without a reported target is refused', async () => {
    const ok = await mcp.callTool('execute_statement', { sql: `INSERT INTO ${M}.allowed_t VALUES (2, 'added')` });
    expect(ok.isError, JSON.stringify(ok.structuredContent)).toBeFalsy();
    expectDenied(await mcp.callTool('execute_statement', { sql: `INSERT INTO ${M}.secret VALUES (3, 'x')` }), `${M}.secret`);
    expectDenied(await mcp.callTool('execute_statement', { sql: `INSERT INTO ${M}.allowed_t SELECT id, note FROM ${M}.secret` }));
    expectDenied(await mcp.callTool('execute_statement', { sql: `CREATE TABLE ${M}.allowed_new (a integer)` }));
    expect(await trinoQuery(`SELECT id, note FROM ${M}.secret`)).toEqual([[42, 'hidden']]);
    expect(await trinoQuery(`SELECT count(*) FROM ${M}.allowed_t`)).toEqual([[2]]);
  });
});

describe('unqualified names resolve against TRINO_CATALOG / TRINO_SCHEMA in the analysis too', () => {
  let scoped: McpSession;
  beforeAll(async () => {
    scoped = await connectStdio(
      'v1 client (@modelcontextprotocol/sdk)',
      serverEnv({ TRINO_ALLOWED_TABLES: ALLOWED_TABLES, TRINO_CATALOG: 'tpch', TRINO_SCHEMA: 'tiny' }),
    );
  });
  afterAll(async () => {
    await scoped?.close();
  });

  it('allows `nation` and refuses `orders`, as the real run would resolve them', async () => {
    const ok = await scoped.callTool('execute_query', { sql: 'SELECT count(*) FROM nation' });
    expect(ok.structuredContent, JSON.stringify(ok.structuredContent)).toMatchObject({ rows: [[25]] });
    const denied = await scoped.callTool('execute_query', { sql: 'SELECT count(*) FROM orders' });
    expect(denied.structuredContent).toMatchObject({ code: 'POLICY_DENIED', rule: 'ALLOWLIST' });
  });
});
