/**
 * The read-only policy against real Trino, through the MCP tool: a corpus of bypass
 * attempts that must be refused and of legitimate reads that must not be. Afterwards the
 * memory catalog's tables and rows must be exactly as before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectStdio, type McpSession } from '../support/mcp-clients.ts';
import { serverEnv } from '../support/processes.ts';
import { trinoQuery, uniqueName } from '../support/trino-sql.ts';

const S = uniqueName('corpus');
const T = `memory.${S}.t1`;

/** Statements that must not write or change state. Code: what the server answers. */
const ATTEMPTS: Array<[string, 'POLICY_DENIED' | 'QUERY_INVALID']> = [
  [`INSERT INTO ${T} VALUES (9, 'x')`, 'POLICY_DENIED'],
  [`insert into ${T} values (9, 'x')`, 'POLICY_DENIED'],
  [`/* SELECT */ INSERT INTO ${T} VALUES (9, 'x')`, 'POLICY_DENIED'],
  [`-- SELECT\nINSERT INTO ${T} VALUES (9, 'x')`, 'POLICY_DENIED'],
  [`SELECT 1; INSERT INTO ${T} VALUES (9, 'x')`, 'POLICY_DENIED'],
  [`SELECT 1;INSERT INTO ${T} VALUES (9, 'x');`, 'POLICY_DENIED'],
  [`(INSERT INTO ${T} VALUES (9, 'x'))`, 'POLICY_DENIED'],
  [`INSERT/**/INTO ${T} VALUES (9, 'x')`, 'POLICY_DENIED'],
  [`\u00a0INSERT INTO ${T} VALUES (9, 'x')`, 'POLICY_DENIED'],
  [`\u2003\u3000INSERT INTO ${T} VALUES (9, 'x')`, 'POLICY_DENIED'],
  [`"INSERT" INTO ${T} VALUES (9, 'x')`, 'POLICY_DENIED'],
  [`INSERT INTO ${T} SELECT * FROM ${T}`, 'POLICY_DENIED'],
  [`WITH x AS (SELECT 1) INSERT INTO ${T} VALUES (9, 'x')`, 'QUERY_INVALID'],
  [`DELETE FROM ${T}`, 'POLICY_DENIED'],
  [`UPDATE ${T} SET a = 0`, 'POLICY_DENIED'],
  [`MERGE INTO ${T} t USING (VALUES 1) s(a) ON t.a = s.a WHEN MATCHED THEN DELETE`, 'POLICY_DENIED'],
  [`TRUNCATE TABLE ${T}`, 'POLICY_DENIED'],
  [`DROP TABLE ${T}`, 'POLICY_DENIED'],
  [`drop table if exists ${T}`, 'POLICY_DENIED'],
  [`DROP SCHEMA memory.${S} CASCADE`, 'POLICY_DENIED'],
  [`DROP VIEW memory.${S}.v1`, 'POLICY_DENIED'],
  [`CREATE TABLE memory.${S}.t3 (a integer)`, 'POLICY_DENIED'],
  [`CREATE TABLE memory.${S}.t3 AS SELECT * FROM ${T}`, 'POLICY_DENIED'],
  [`CREATE OR REPLACE VIEW memory.${S}.v1 AS SELECT 1 AS a`, 'POLICY_DENIED'],
  [`CREATE SCHEMA memory.${S}_evil`, 'POLICY_DENIED'],
  [`ALTER TABLE ${T} RENAME TO memory.${S}.t9`, 'POLICY_DENIED'],
  [`ALTER TABLE ${T} ADD COLUMN c integer`, 'POLICY_DENIED'],
  [`COMMENT ON TABLE ${T} IS 'x'`, 'POLICY_DENIED'],
  [`GRANT SELECT ON ${T} TO ROLE public`, 'POLICY_DENIED'],
  [`REVOKE SELECT ON ${T} FROM ROLE public`, 'POLICY_DENIED'],
  [`DENY SELECT ON ${T} TO ROLE public`, 'POLICY_DENIED'],
  [`CALL system.runtime.kill_query(query_id => '20000101_000000_00000_xxxxx')`, 'POLICY_DENIED'],
  [`ANALYZE ${T}`, 'POLICY_DENIED'],
  [`REFRESH MATERIALIZED VIEW memory.${S}.mv`, 'POLICY_DENIED'],
  [`SET SESSION query_max_run_time = '1s'`, 'POLICY_DENIED'],
  [`RESET SESSION query_max_run_time`, 'POLICY_DENIED'],
  [`SET ROLE ALL`, 'POLICY_DENIED'],
  [`SET PATH memory.${S}`, 'POLICY_DENIED'],
  [`SET TIME ZONE 'UTC'`, 'POLICY_DENIED'],
  [`SET SESSION AUTHORIZATION 'mallory'`, 'POLICY_DENIED'],
  [`START TRANSACTION`, 'POLICY_DENIED'],
  [`COMMIT`, 'POLICY_DENIED'],
  [`ROLLBACK`, 'POLICY_DENIED'],
  [`PREPARE p FROM INSERT INTO ${T} VALUES (9, 'x')`, 'POLICY_DENIED'],
  [`EXECUTE p`, 'POLICY_DENIED'],
  [`EXECUTE IMMEDIATE 'INSERT INTO ${T} VALUES (9, ''x'')'`, 'POLICY_DENIED'],
  [`DEALLOCATE PREPARE p`, 'POLICY_DENIED'],
  [`USE memory.${S}`, 'POLICY_DENIED'],
  [`EXPLAIN ANALYZE INSERT INTO ${T} VALUES (9, 'x')`, 'POLICY_DENIED'],
  [`EXPLAIN ANALYZE VERBOSE DELETE FROM ${T}`, 'POLICY_DENIED'],
  [`EXPLAIN (TYPE DISTRIBUTED) DROP TABLE ${T}`, 'POLICY_DENIED'],
  [`EXPLAIN ANALYZE (INSERT INTO ${T} VALUES (9, 'x'))`, 'POLICY_DENIED'],
  [`SELECT * FROM TABLE(memory.system.query(query => 'DROP TABLE ${T}'))`, 'POLICY_DENIED'],
  [`SELECT * FROM TABLE("memory"."system"."QUERY"(query => 'DELETE FROM ${T}'))`, 'POLICY_DENIED'],
  [`SELECT 1 /* unterminated; DROP TABLE ${T}`, 'POLICY_DENIED'],
  [`SELECT 'unterminated; DROP TABLE ${T}`, 'POLICY_DENIED'],
  [`SELECT "unterminated; DROP TABLE ${T}`, 'POLICY_DENIED'],
  [`SELECT 'x' /* ; */; DROP TABLE ${T}`, 'POLICY_DENIED'],
  [`SELECT 1 -- comment\n; DROP TABLE ${T}`, 'POLICY_DENIED'],
  [`SELECT U&'\\0027'; DROP TABLE ${T}`, 'POLICY_DENIED'],
  [`SELECT X'27'; DROP TABLE ${T}`, 'POLICY_DENIED'],
  [`SELECT "a;b" FROM ${T}; DROP TABLE ${T}`, 'POLICY_DENIED'],
  [`SELECT 'it''s'; DELETE FROM ${T}`, 'POLICY_DENIED'],
  [`VALUES 1; INSERT INTO ${T} VALUES (9, 'x')`, 'POLICY_DENIED'],
  [`TABLE ${T}; DELETE FROM ${T}`, 'POLICY_DENIED'],
  [`SHOW TABLES; DROP TABLE ${T}`, 'POLICY_DENIED'],
  [`DESCRIBE ${T}; DROP TABLE ${T}`, 'POLICY_DENIED'],
  [`EXPLAIN SELECT 1; DROP TABLE ${T}`, 'POLICY_DENIED'],
  [`SELECT 1;;`, 'POLICY_DENIED'],
  [`;`, 'POLICY_DENIED'],
  [`/* only a comment */`, 'POLICY_DENIED'],
  [`X'00' INSERT INTO ${T} VALUES (9, 'x')`, 'POLICY_DENIED'],
];

/** Reads that must pass the policy and succeed. */
const READS: string[] = [
  'SELECT 1',
  'select 1',
  'SELECT 1;',
  '  SELECT 1  ;  ',
  `SELECT * FROM ${T}`,
  `SELECT count(*) FROM ${T}`,
  `SELECT a, b FROM ${T} WHERE b = 'it''s'`,
  `SELECT 'DROP TABLE ${T}'`,
  `SELECT 'x; DELETE FROM ${T}' AS s`,
  `SELECT "a" FROM ${T}`,
  `SELECT a AS "insert", b AS "drop;table" FROM ${T}`,
  `WITH x AS (SELECT * FROM ${T}) SELECT * FROM x`,
  `WITH x(a) AS (VALUES 1), y AS (SELECT a FROM x) SELECT * FROM y`,
  '(SELECT 1) UNION ALL (SELECT 2)',
  '((SELECT 1))',
  'VALUES 1, 2',
  "VALUES (1, 'a')",
  `TABLE ${T}`,
  'SHOW CATALOGS',
  'SHOW SCHEMAS FROM memory',
  `SHOW TABLES FROM memory.${S}`,
  `SHOW COLUMNS FROM ${T}`,
  `SHOW CREATE TABLE ${T}`,
  `SHOW CREATE VIEW memory.${S}.v1`,
  "SHOW FUNCTIONS LIKE 'abs'",
  "SHOW SESSION LIKE 'query_max_run_time'",
  `SHOW STATS FOR ${T}`,
  `DESCRIBE ${T}`,
  `DESC ${T}`,
  `EXPLAIN SELECT * FROM ${T}`,
  `EXPLAIN (TYPE IO, FORMAT JSON) SELECT * FROM ${T}`,
  'EXPLAIN (TYPE DISTRIBUTED) SELECT 1',
  `EXPLAIN ANALYZE SELECT count(*) FROM ${T}`,
  'EXPLAIN (SELECT 1)',
  '-- a comment\nSELECT 1',
  '/* a comment */ SELECT 1',
  `SELECT * FROM memory.${S}.v1`,
  'SELECT * FROM tpch.tiny.nation ORDER BY nationkey LIMIT 3',
  "SELECT n.name FROM tpch.tiny.nation n JOIN tpch.tiny.region r ON n.regionkey = r.regionkey WHERE r.name = 'ASIA'",
  'SELECT x FROM UNNEST(ARRAY[1, 2]) AS t(x)',
  "SELECT U&'\\0041'",
  "SELECT X'41'",
  `SELECT table_name FROM memory.information_schema.tables WHERE table_schema = '${S}'`,
  'SELECT current_user',
  `SELECT a FROM ${T} WHERE a IN (SELECT a FROM ${T})`,
  `SELECT\tcount(*)\nFROM\t${T}`,
  'SELECT * FROM TABLE(sequence(start => 1, stop => 3))',
  `SELECT query FROM (VALUES 'TABLE(system.query(') AS t(query)`,
];

describe('read-only policy corpus, through execute_query on real Trino', () => {
  let mcp: McpSession;
  let before: unknown[][];

  const snapshot = async () => [
    ...(await trinoQuery(`SELECT table_name, table_type FROM memory.information_schema.tables WHERE table_schema = '${S}' ORDER BY 1`)),
    ...(await trinoQuery(`SELECT a, b FROM ${T} ORDER BY a`)),
    ...(await trinoQuery(`SELECT a FROM memory.${S}.t2 ORDER BY a`)),
    ...(await trinoQuery(`SELECT schema_name FROM memory.information_schema.schemata WHERE schema_name LIKE '${S}%' ORDER BY 1`)),
  ];

  beforeAll(async () => {
    await trinoQuery(`CREATE SCHEMA memory.${S}`);
    await trinoQuery(`CREATE TABLE ${T} AS SELECT * FROM (VALUES (1, 'one'), (2, 'it''s')) AS v(a, b)`);
    await trinoQuery(`CREATE TABLE memory.${S}.t2 AS SELECT 10 AS a`);
    await trinoQuery(`CREATE VIEW memory.${S}.v1 AS SELECT a FROM ${T}`);
    before = await snapshot();
    mcp = await connectStdio('v2 client, protocol 2026-07-28', serverEnv({ TRINO_CATALOG: 'memory', TRINO_SCHEMA: S }));
  });
  afterAll(async () => {
    await mcp?.close();
    await trinoQuery(`DROP VIEW IF EXISTS memory.${S}.v1`);
    await trinoQuery(`DROP TABLE IF EXISTS memory.${S}.t2`);
    await trinoQuery(`DROP TABLE IF EXISTS ${T}`);
    await trinoQuery(`DROP SCHEMA IF EXISTS memory.${S}`);
  });

  it('refuses every write, state change and smuggling attempt', async () => {
    const wrong: string[] = [];
    for (const [sql, code] of ATTEMPTS) {
      const r = await mcp.callTool('execute_query', { sql });
      if (!r.isError || r.structuredContent?.['code'] !== code) {
        wrong.push(`${JSON.stringify(sql)} → ${r.isError ? String(r.structuredContent?.['code']) : 'ran'} (expected ${code})`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('lets every legitimate read through', async () => {
    const refused: string[] = [];
    for (const sql of READS) {
      const r = await mcp.callTool('execute_query', { sql });
      if (r.isError) refused.push(`${JSON.stringify(sql)} → ${String(r.structuredContent?.['code'])}: ${String(r.structuredContent?.['message'])}`);
    }
    expect(refused).toEqual([]);
  });

  it('leaves the memory catalog exactly as it was', async () => {
    expect(await snapshot()).toEqual(before);
  });
});

describe('writes enabled: execute_statement writes, execute_query still only reads', () => {
  let mcp: McpSession;
  const W = `memory.${S}_w`;

  beforeAll(async () => {
    await trinoQuery(`CREATE SCHEMA ${W}`);
    mcp = await connectStdio('v1 client (@modelcontextprotocol/sdk)', serverEnv({ TRINO_ALLOW_WRITE_QUERIES: 'true' }));
  });
  afterAll(async () => {
    await mcp?.close();
    await trinoQuery(`DROP TABLE IF EXISTS ${W}.t`);
    await trinoQuery(`DROP SCHEMA IF EXISTS ${W}`);
  });

  it('lists execute_statement as destructive, execute_query as read-only', async () => {
    const tools = await mcp.listTools();
    const byName = new Map(tools.map((t) => [t.name, t]));
    expect(byName.get('execute_statement')?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(byName.get('execute_query')?.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });
  });

  it('runs DDL and DML through execute_statement and refuses them in execute_query', async () => {
    expect((await mcp.callTool('execute_statement', { sql: `CREATE TABLE ${W}.t (a integer)` })).isError).toBeFalsy();
    const insert = await mcp.callTool('execute_query', { sql: `INSERT INTO ${W}.t VALUES 1` });
    expect(insert.structuredContent).toMatchObject({ code: 'POLICY_DENIED', rule: 'READ_ONLY' });
    expect((await mcp.callTool('execute_statement', { sql: `INSERT INTO ${W}.t VALUES 1, 2` })).isError).toBeFalsy();
    expect(await trinoQuery(`SELECT a FROM ${W}.t ORDER BY a`)).toEqual([[1], [2]]);
    const two = await mcp.callTool('execute_statement', { sql: `INSERT INTO ${W}.t VALUES 3; DROP TABLE ${W}.t` });
    expect(two.structuredContent).toMatchObject({ code: 'POLICY_DENIED', rule: 'SINGLE_STATEMENT' });
  });
});
