import { describe, expect, it } from 'vitest';
import { Access } from '../../src/domain/access.ts';
import type { AllowlistSpec } from '../../src/domain/allowlist.ts';
import type { NameDefaults, Principal } from '../../src/domain/model.ts';
import type { PolicyRule } from '../../src/domain/errors.ts';
import { SqlQueryPolicy, type ObjectRef, type StatementMode } from '../../src/domain/policy.ts';
import { explainOf, parseStatement } from '../../src/domain/statement.ts';
import { Call } from '../../src/use-cases/call.ts';
import { authorize } from '../../src/use-cases/statements.ts';
import { InMemoryQueryEngine, type FakeOutcome } from '../fakes/in-memory-query-engine.ts';
import { expectDomainError, rejectionOf, thrownBy } from './support/domain-error.ts';
import { roomySlots } from './support/slots.ts';

const principal: Principal = { subject: 'alice', scopes: [], via: 'test' };
const NO_ALLOWLIST: AllowlistSpec = { catalogs: [], schemas: [], tables: [] };

interface PolicySettings {
  readonly allowWrites: boolean;
  readonly allowPassthrough: boolean;
  readonly allowedTableFunctions: readonly string[];
  readonly allowlist: AllowlistSpec;
  readonly timeoutMs: number;
  readonly defaults: NameDefaults;
  readonly writeScope?: string;
}

interface AuthorizeContext {
  readonly principal: Principal;
  readonly mode: StatementMode;
  readonly signal: AbortSignal;
}

/**
 * The policy as a statement meets it in a use-case: lexed once (parseStatement), judged
 * by SqlQueryPolicy, and with allowlists analysed by the engine (the use-cases' authorize step).
 */
function policyWith(settings: Partial<PolicySettings> = {}, engine = new InMemoryQueryEngine()) {
  const s: PolicySettings = { allowWrites: false, allowPassthrough: false, allowedTableFunctions: [], allowlist: NO_ALLOWLIST, timeoutMs: 5_000, defaults: {}, ...settings };
  const access = new Access({ allowWrites: s.allowWrites, requiredScopes: [], writeScope: s.writeScope });
  const policy = new SqlQueryPolicy({ allowPassthrough: s.allowPassthrough, allowedTableFunctions: s.allowedTableFunctions, allowlist: s.allowlist, defaults: s.defaults }, access);
  return {
    visible: (object: ObjectRef) => policy.visible(object),
    authorize: async (sql: string, context: AuthorizeContext) => {
      const call = new Call(context.principal, context.signal, s.timeoutMs, roomySlots());
      try {
        await authorize(parseStatement(sql), context.mode, call, {
          policy,
          engine,
          settings: { maxRows: 1000, maxResultBytes: 4 * 1024 * 1024, maxValueBytes: 64 * 1024, timeoutMs: s.timeoutMs, defaults: s.defaults },
        });
      } finally {
        call.end();
      }
    },
  };
}

const ctx = (mode: StatementMode, signal: AbortSignal = new AbortController().signal): AuthorizeContext => ({ principal, mode, signal });
const READ = ctx('read');
const WRITE = ctx('write');

/** Without an allowlist the policy never needs the engine: every policy below shares this one. */
const untouchedEngine = new InMemoryQueryEngine();
const readOnly = policyWith({ allowWrites: false }, untouchedEngine);
const writable = policyWith({ allowWrites: true }, untouchedEngine);

/** Reading statements: allowed by the read-only policy. */
const READS: readonly (readonly [string, string])[] = [
  ['SELECT', 'SELECT 1'],
  ['SELECT from a table', 'SELECT a, b FROM memory.default.t WHERE a > 1 ORDER BY b LIMIT 10'],
  ['WITH … SELECT', 'WITH x AS (SELECT 1 AS a) SELECT a FROM x'],
  ['VALUES', 'VALUES (1, 2), (3, 4)'],
  ['TABLE t', 'TABLE t'],
  ['parenthesised UNION', '(SELECT 1) UNION (SELECT 2)'],
  ['nested parentheses', '((SELECT 1))'],
  ['parenthesised WITH', '(WITH x AS (SELECT 1) SELECT * FROM x)'],
  ['SHOW CATALOGS', 'SHOW CATALOGS'],
  ['SHOW SCHEMAS FROM', 'SHOW SCHEMAS FROM "memory"'],
  ['SHOW TABLES', 'SHOW TABLES FROM memory.default'],
  ['SHOW CREATE TABLE', 'SHOW CREATE TABLE memory.default.t'],
  ['SHOW SESSION', 'SHOW SESSION'],
  ['DESCRIBE', 'DESCRIBE memory.default.t'],
  ['EXPLAIN SELECT', 'EXPLAIN SELECT 1'],
  ['EXPLAIN with options', 'EXPLAIN (TYPE IO, FORMAT JSON) SELECT * FROM t'],
  ['EXPLAIN (TYPE VALIDATE)', 'EXPLAIN (TYPE VALIDATE) SELECT 1'],
  ['EXPLAIN ANALYZE SELECT', 'EXPLAIN ANALYZE SELECT count(*) FROM t'],
  ['EXPLAIN ANALYZE VERBOSE SELECT', 'EXPLAIN ANALYZE VERBOSE SELECT 1'],
  ['EXPLAIN of SHOW', 'EXPLAIN SHOW TABLES'],
  ['leading -- comment', '-- list things\nSELECT 1'],
  ['leading /* */ comment', '/* DROP TABLE t; */ SELECT 1'],
  ['comments everywhere', '/*a*/ -- b\n SELECT /* c */ 1 -- d'],
  ['lower case', 'select * from t'],
  ['mixed case', 'sElEcT 1'],
  ['trailing semicolon', 'SELECT 1;'],
  ['trailing semicolon and comment', 'SELECT 1; -- done'],
  ['trailing semicolon and blanks', 'SELECT 1 ;  \n'],
  ['string containing ; DROP TABLE x', "SELECT '; DROP TABLE x' AS s"],
  ['string with escaped quote and ;', "SELECT 'it''s; DELETE FROM t'"],
  ['quoted identifier containing ;', 'SELECT 1 AS "a;b"'],
  ['quoted identifier named DELETE', 'SELECT "DELETE" FROM "INSERT"'],
  ['Unicode string with ;', "SELECT U&'\\0041; DROP'"],
  ['binary literal', "SELECT X'3B'"],
  ['leading Unicode whitespace', '\u00a0\u2003SELECT 1'],
  ['word INSERT in a string', "SELECT * FROM t WHERE op = 'INSERT'"],
];

/** Statements that write or change state, and attempts to smuggle them past the policy. */
const DENIED: readonly (readonly [string, string, PolicyRule])[] = [
  ['INSERT', 'INSERT INTO t VALUES (1)', 'READ_ONLY'],
  ['UPDATE', 'UPDATE t SET a = 1', 'READ_ONLY'],
  ['DELETE', 'DELETE FROM t', 'READ_ONLY'],
  ['MERGE', 'MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE', 'READ_ONLY'],
  ['CREATE TABLE', 'CREATE TABLE t (a int)', 'READ_ONLY'],
  ['CREATE TABLE AS SELECT', 'CREATE TABLE t AS SELECT 1 AS a', 'READ_ONLY'],
  ['DROP TABLE', 'DROP TABLE t', 'READ_ONLY'],
  ['ALTER TABLE', 'ALTER TABLE t ADD COLUMN b int', 'READ_ONLY'],
  ['TRUNCATE', 'TRUNCATE TABLE t', 'READ_ONLY'],
  ['GRANT', 'GRANT SELECT ON t TO bob', 'READ_ONLY'],
  ['REVOKE', 'REVOKE SELECT ON t FROM bob', 'READ_ONLY'],
  ['CALL', "CALL system.runtime.kill_query(query_id => '1')", 'READ_ONLY'],
  ['SET SESSION', 'SET SESSION query_max_run_time = \'1h\'', 'READ_ONLY'],
  ['RESET SESSION', 'RESET SESSION query_max_run_time', 'READ_ONLY'],
  ['SET ROLE', 'SET ROLE admin', 'READ_ONLY'],
  ['USE', 'USE memory.default', 'READ_ONLY'],
  ['PREPARE', 'PREPARE q FROM SELECT 1', 'READ_ONLY'],
  ['EXECUTE', 'EXECUTE q', 'READ_ONLY'],
  ['EXECUTE IMMEDIATE', "EXECUTE IMMEDIATE 'DROP TABLE t'", 'READ_ONLY'],
  ['DEALLOCATE', 'DEALLOCATE PREPARE q', 'READ_ONLY'],
  ['START TRANSACTION', 'START TRANSACTION', 'READ_ONLY'],
  ['COMMIT', 'COMMIT', 'READ_ONLY'],
  ['ROLLBACK', 'ROLLBACK', 'READ_ONLY'],
  ['ANALYZE', 'ANALYZE t', 'READ_ONLY'],
  ['REFRESH MATERIALIZED VIEW', 'REFRESH MATERIALIZED VIEW v', 'READ_ONLY'],
  ['COMMENT ON', "COMMENT ON TABLE t IS 'x'", 'READ_ONLY'],
  ['lower-case insert', 'insert into t values (1)', 'READ_ONLY'],
  ['EXPLAIN ANALYZE INSERT', 'EXPLAIN ANALYZE INSERT INTO t VALUES (1)', 'READ_ONLY'],
  ['EXPLAIN ANALYZE VERBOSE DELETE', 'EXPLAIN ANALYZE VERBOSE DELETE FROM t', 'READ_ONLY'],
  ['EXPLAIN (TYPE IO) DROP', 'EXPLAIN (TYPE IO) DROP TABLE t', 'READ_ONLY'],
  ['EXPLAIN ANALYZE (INSERT …)', 'EXPLAIN ANALYZE (INSERT INTO t VALUES (1))', 'READ_ONLY'],
  ['EXPLAIN with options then (INSERT …)', 'EXPLAIN (TYPE IO) (INSERT INTO t VALUES (1))', 'READ_ONLY'],
  ['EXPLAIN EXPLAIN ANALYZE INSERT', 'EXPLAIN EXPLAIN ANALYZE INSERT INTO t VALUES (1)', 'READ_ONLY'],
  ['EXPLAIN options hiding a query', 'EXPLAIN (TYPE (SELECT 1)) DELETE FROM t', 'EXPLAIN_OPTIONS'],
  ['EXPLAIN options not closed', 'EXPLAIN (TYPE IO', 'EXPLAIN_OPTIONS'],
  ['block comment pretending to be SELECT', '/* SELECT */ DELETE FROM t', 'READ_ONLY'],
  ['line comment pretending to be SELECT', '-- SELECT\nDROP TABLE t', 'READ_ONLY'],
  ['second statement', 'SELECT 1; DROP TABLE t', 'SINGLE_STATEMENT'],
  ['second statement after a comment', 'SELECT 1 /* x */; DROP TABLE t', 'SINGLE_STATEMENT'],
  ['two reads', 'SELECT 1; SELECT 2', 'SINGLE_STATEMENT'],
  ['double semicolon', 'SELECT 1;;', 'SINGLE_STATEMENT'],
  ['lone semicolons', ';;', 'SINGLE_STATEMENT'],
  ['parenthesised INSERT', '(INSERT INTO t VALUES 1)', 'READ_ONLY'],
  ['parenthesised DELETE after a comment', '/**/((DELETE FROM t))', 'READ_ONLY'],
  ['statement starting with a quoted identifier', '"SELECT" 1', 'READ_ONLY'],
  ['statement starting with a string', "'SELECT'", 'READ_ONLY'],
  ['empty', '', 'EMPTY'],
  ['blanks only', ' \n\t ', 'EMPTY'],
  ['a lone semicolon', ';', 'EMPTY'],
  ['only a -- comment', '-- SELECT 1', 'EMPTY'],
  ['only a /* */ comment', '/* SELECT 1 */', 'EMPTY'],
  ['unterminated comment hiding a second statement', 'SELECT 1; /* DROP TABLE t', 'LEXICAL'],
  ['unterminated comment after a read', 'SELECT 1 /* ; DROP TABLE t', 'LEXICAL'],
  ['unterminated string', "SELECT '; DROP TABLE t", 'LEXICAL'],
  ['unterminated quoted identifier', 'SELECT "a; DROP TABLE t', 'LEXICAL'],
];

describe('SqlQueryPolicy, read mode, writes disabled', () => {
  it.each(READS)('allows %s', async (_name, sql) => {
    await expect(readOnly.authorize(sql, READ)).resolves.toBeUndefined();
    expect(parseStatement(sql)).toMatchObject({ readOnly: true, keywords: expect.any(String), analysed: expect.any(String) });
  });

  it.each(DENIED)('denies %s: %j → %s', async (_name, sql, rule) => {
    expectDomainError(await rejectionOf(readOnly.authorize(sql, READ)), 'POLICY_DENIED', { rule });
  });

  it('names the refused statement by its leading keywords', async () => {
    const err = expectDomainError(await rejectionOf(readOnly.authorize('set session x = 1', READ)), 'POLICY_DENIED', {
      rule: 'READ_ONLY',
    });
    expect(err.message).toContain('SET SESSION');
  });

  it('does not point at execute_statement, which does not exist when writes are disabled', async () => {
    const err = expectDomainError(await rejectionOf(readOnly.authorize('DELETE FROM t', READ)), 'POLICY_DENIED', { rule: 'READ_ONLY' });
    expect(err.message).not.toContain('execute_statement');
  });
});

describe('SqlQueryPolicy, read mode, writes enabled (execute_query stays read-only)', () => {
  it.each(READS)('allows %s', async (_name, sql) => {
    await expect(writable.authorize(sql, READ)).resolves.toBeUndefined();
  });

  it.each(DENIED)('still denies %s: %j → %s', async (_name, sql, rule) => {
    expectDomainError(await rejectionOf(writable.authorize(sql, READ)), 'POLICY_DENIED', { rule });
  });

  it('points a refused write at execute_statement', async () => {
    const err = expectDomainError(await rejectionOf(writable.authorize('INSERT INTO t VALUES (1)', READ)), 'POLICY_DENIED', {
      rule: 'READ_ONLY',
    });
    expect(err.details.rule).toBe('READ_ONLY');
    expect(err.message).toContain('execute_statement');
  });
});

describe('SqlQueryPolicy, write mode, writes enabled', () => {
  const writes = DENIED.filter(([, , rule]) => rule === 'READ_ONLY');

  it.each(writes)('allows %s', async (_name, sql) => {
    await expect(writable.authorize(sql, WRITE)).resolves.toBeUndefined();
  });

  it.each(DENIED.filter(([, , rule]) => rule !== 'READ_ONLY'))('still denies %s: %j → %s', async (_name, sql, rule) => {
    expectDomainError(await rejectionOf(writable.authorize(sql, WRITE)), 'POLICY_DENIED', { rule });
  });

  it.each(READS)('allows the read %s too', async (_name, sql) => {
    await expect(writable.authorize(sql, WRITE)).resolves.toBeUndefined();
  });
});

describe('SqlQueryPolicy, write mode, writes disabled', () => {
  it.each([...READS.map(([name, sql]) => [name, sql] as const), ...DENIED.filter(([, , rule]) => rule === 'READ_ONLY').map(([name, sql]) => [name, sql] as const)])(
    'denies %s with WRITES_DISABLED',
    async (_name, sql) => {
      expectDomainError(await rejectionOf(readOnly.authorize(sql, WRITE)), 'POLICY_DENIED', { rule: 'WRITES_DISABLED' });
    },
  );

  it.each(DENIED.filter(([, , rule]) => rule !== 'READ_ONLY'))('keeps the lexical rule for %s: %j → %s', async (_name, sql, rule) => {
    expectDomainError(await rejectionOf(readOnly.authorize(sql, WRITE)), 'POLICY_DENIED', { rule });
  });
});

describe('SqlQueryPolicy without an allowlist', () => {
  it('never calls the engine, in either mode', async () => {
    const engine = new InMemoryQueryEngine();
    const policies = [false, true].map((allowWrites) => policyWith({ allowWrites, allowPassthrough: true }, engine));
    for (const policy of policies) {
      for (const mode of ['read', 'write'] as const) {
        for (const [, sql] of [...READS, ...DENIED]) await policy.authorize(sql, ctx(mode)).catch(() => undefined);
      }
    }
    expect(engine.calls).toEqual([]);
    // Nor did any policy of the corpus above.
    expect(untouchedEngine.calls).toEqual([]);
  });

  it('shows every catalog, schema and table', () => {
    expect(readOnly.visible({ catalog: 'anything' })).toBe(true);
    expect(readOnly.visible({ catalog: 'a', schema: 'b' })).toBe(true);
    expect(readOnly.visible({ catalog: 'a', schema: 'b', table: 'c' })).toBe(true);
  });
});

/** Statements calling a table function that sends SQL to a connector, and the function reported. */
const PASSTHROUGH: readonly (readonly [string, string, string])[] = [
  ['catalog-qualified query', "SELECT * FROM TABLE(postgres.system.query(query => 'DROP TABLE x'))", 'postgres.system.query'],
  ['schema-qualified query', "SELECT * FROM TABLE(system.query(query => 'SELECT 1'))", 'system.query'],
  ['unqualified query', "SELECT * FROM TABLE(query(query => 'SELECT 1'))", 'query'],
  ['quoted parts', 'SELECT * FROM TABLE("pg"."system"."query"(query => \'SELECT 1\'))', 'pg.system.query'],
  ['lower case', "select * from table(pg.system.query(query => 'select 1'))", 'pg.system.query'],
  ['upper case', "SELECT * FROM TABLE(PG.SYSTEM.QUERY(QUERY => 'SELECT 1'))", 'pg.system.query'],
  ['mixed-case quoted name', 'SELECT * FROM TABLE(pg.system."Query"(query => \'SELECT 1\'))', 'pg.system.query'],
  ['raw_query', "SELECT * FROM TABLE(es.system.raw_query(schema => 'default', index => 'orders', query => '{}'))", 'es.system.raw_query'],
  ['comments and blanks inside', "SELECT * FROM TABLE ( /* x */ pg . system . query -- y\n ( query => 'SELECT 1'))", 'pg.system.query'],
  ['in a join', "SELECT * FROM t JOIN TABLE(pg.system.query(query => 'SELECT 1')) q ON true", 'pg.system.query'],
  ['in a CTE', "WITH x AS (SELECT * FROM TABLE(pg.system.query(query => 'SELECT 1'))) SELECT * FROM x", 'pg.system.query'],
  ['in a subquery', "SELECT (SELECT count(*) FROM TABLE(system.query(query => 'x')))", 'system.query'],
  ['under EXPLAIN ANALYZE', "EXPLAIN ANALYZE SELECT * FROM TABLE(pg.system.query(query => 'DELETE FROM t'))", 'pg.system.query'],
];

/** Reads that mention "query" or TABLE( without calling a table function. */
const NOT_PASSTHROUGH: readonly (readonly [string, string])[] = [
  ['a column named query', 'SELECT query FROM system.runtime.queries'],
  ['a qualified column named query', 'SELECT q.query, q."query" FROM system.runtime.queries q'],
  ['a table named query', 'SELECT * FROM pg.system.query'],
  ['TABLE( … query( in a string', "SELECT 'TABLE(system.query(' AS s"],
  ['TABLE( … query( in a -- comment', "SELECT 1 -- TABLE(system.query(query => 'DROP TABLE x'))"],
  ['TABLE( … query( in a /* */ comment', "SELECT 1 /* TABLE(system.query(query => 'DROP TABLE x')) */"],
  ['TABLE( … query( as a quoted identifier', 'SELECT 1 AS "TABLE(system.query("'],
  ['a scalar function named query', 'SELECT query(1)'],
];

/** Trino's built-in table functions: they only compute, inside Trino. */
const BUILTIN_TABLE_FUNCTIONS: readonly (readonly [string, string, string])[] = [
  ['sequence', 'SELECT * FROM TABLE(sequence(start => 1, stop => 3))', 'sequence'],
  ['sequence, qualified', 'SELECT * FROM TABLE(system.builtin.sequence(start => 1, stop => 3))', 'system.builtin.sequence'],
  ['exclude_columns over a table named query', 'SELECT * FROM TABLE(exclude_columns(input => TABLE(query), columns => DESCRIPTOR(a)))', 'exclude_columns'],
];

/** Connectors' table functions that are not pass-through, yet may reach outside or write: refused in reads unless listed. */
const CONNECTOR_TABLE_FUNCTIONS: readonly (readonly [string, string, string])[] = [
  ['SQL Server procedure (runs stored procedures)', "SELECT * FROM TABLE(mssql.system.procedure(query => 'EXECUTE dbo.purge'))", 'mssql.system.procedure'],
  ['Loki query_range', "SELECT * FROM TABLE(loki.system.query_range('{job=\"x\"}', TIMESTAMP '2026-01-01', TIMESTAMP '2026-01-02'))", 'loki.system.query_range'],
  ['Google Sheets sheet', "SELECT * FROM TABLE(gsheets.system.sheet(id => 'abc'))", 'gsheets.system.sheet'],
  ['a name that only starts with query', 'SELECT * FROM TABLE(system.query_history())', 'system.query_history'],
  ['a sequence of another catalog', 'SELECT * FROM TABLE(evil.system.sequence(start => 1, stop => 3))', 'evil.system.sequence'],
];

describe('pass-through table functions', () => {
  it.each(PASSTHROUGH)('detects %s: %j → %s', (_name, sql, fn) => {
    expect(parseStatement(sql)).toMatchObject({ readOnly: true, tableFunctions: [fn] });
  });

  it.each(PASSTHROUGH)('denies %s in read mode with PASSTHROUGH, naming the function', async (_name, sql, fn) => {
    const err = expectDomainError(await rejectionOf(writable.authorize(sql, READ)), 'POLICY_DENIED', { rule: 'PASSTHROUGH' });
    expect(err.message).toContain(fn);
    expectDomainError(await rejectionOf(readOnly.authorize(sql, READ)), 'POLICY_DENIED', { rule: 'PASSTHROUGH' });
  });

  it.each(PASSTHROUGH)('allows %s in read mode with allowPassthrough', async (_name, sql) => {
    await expect(policyWith({ allowPassthrough: true }).authorize(sql, READ)).resolves.toBeUndefined();
  });

  it.each(PASSTHROUGH)('allows %s in write mode when writes are enabled', async (_name, sql) => {
    await expect(writable.authorize(sql, WRITE)).resolves.toBeUndefined();
  });

  it('denies a pass-through in write mode when writes are disabled with WRITES_DISABLED', async () => {
    expectDomainError(await rejectionOf(readOnly.authorize(PASSTHROUGH[0]![1], WRITE)), 'POLICY_DENIED', { rule: 'WRITES_DISABLED' });
  });

  it.each(NOT_PASSTHROUGH)('does not flag %s: %j', async (_name, sql) => {
    expect(parseStatement(sql)).toMatchObject({ text: sql, readOnly: true, analysed: sql, tableFunctions: [] });
    await expect(readOnly.authorize(sql, READ)).resolves.toBeUndefined();
  });

  it.each(BUILTIN_TABLE_FUNCTIONS)('allows the built-in %s in reads', async (_name, sql, fn) => {
    expect(parseStatement(sql).tableFunctions).toEqual([fn]);
    await expect(readOnly.authorize(sql, READ)).resolves.toBeUndefined();
  });

  it.each(CONNECTOR_TABLE_FUNCTIONS)('refuses %s in reads with TABLE_FUNCTION, naming it', async (_name, sql, fn) => {
    const err = expectDomainError(await rejectionOf(readOnly.authorize(sql, READ)), 'POLICY_DENIED', { rule: 'TABLE_FUNCTION' });
    expect(err.message).toContain(fn);
  });

  it.each(CONNECTOR_TABLE_FUNCTIONS)('allows %s once TRINO_ALLOWED_TABLE_FUNCTIONS lists it, by full or short name', async (_name, sql, fn) => {
    await expect(policyWith({ allowedTableFunctions: [fn] }).authorize(sql, READ)).resolves.toBeUndefined();
    await expect(policyWith({ allowedTableFunctions: [fn.slice(fn.lastIndexOf('.') + 1)] }).authorize(sql, READ)).resolves.toBeUndefined();
    await expect(policyWith({ allowPassthrough: true }).authorize(sql, READ)).resolves.toBeUndefined();
  });

  it('a listed short name does not allow a pass-through function of that name; a listed full name allows only that function', async () => {
    expectDomainError(await rejectionOf(policyWith({ allowedTableFunctions: ['query'] }).authorize(PASSTHROUGH[0]![1], READ)), 'POLICY_DENIED', {
      rule: 'PASSTHROUGH',
    });
    const other = "SELECT * FROM TABLE(other.system.sheet(id => 'x'))";
    expectDomainError(await rejectionOf(policyWith({ allowedTableFunctions: ['gsheets.system.sheet'] }).authorize(other, READ)), 'POLICY_DENIED', {
      rule: 'TABLE_FUNCTION',
    });
  });

  it('reports a write before a pass-through in read mode (READ_ONLY)', async () => {
    const sql = "INSERT INTO t SELECT * FROM TABLE(pg.system.query(query => 'SELECT 1'))";
    expectDomainError(await rejectionOf(readOnly.authorize(sql, READ)), 'POLICY_DENIED', { rule: 'READ_ONLY' });
  });
});

type Name = readonly [catalog: string, schema: string, table: string];

/** What Trino answers to EXPLAIN (TYPE IO, FORMAT JSON): one row, one column, pretty JSON. */
function ioPlan(inputs: readonly Name[], output?: Name): FakeOutcome {
  const table = ([catalog, schema, tableName]: Name) => ({ catalog, catalogHandle: `${catalog}:normal:1`, schemaTable: { schema, table: tableName } });
  const plan = {
    inputTableColumnInfos: inputs.map((name) => ({
      table: table(name),
      constraint: { none: false, columnConstraints: [] },
      estimate: { outputRowCount: 25, outputSizeInBytes: 100, cpuCost: 100, maxMemory: 0, networkCost: 0 },
    })),
    ...(output ? { outputTable: table(output) } : {}),
    estimate: { outputRowCount: 25, outputSizeInBytes: 100, cpuCost: 100, maxMemory: 0, networkCost: 100 },
  };
  return { columns: [{ name: 'Query Plan', type: 'varchar' }], rows: [[JSON.stringify(plan, null, 2)]] };
}

/** What Trino answers for DDL: a plain-text rendering, not JSON. */
const textPlan = (text: string): FakeOutcome => ({ columns: [{ name: 'Query Plan', type: 'varchar' }], rows: [[text]] });

const IO = (statement: string) => `EXPLAIN (TYPE IO, FORMAT JSON) ${statement}`;

describe('SqlQueryPolicy with an allowlist (EXPLAIN IO analysis)', () => {
  const allowlist: AllowlistSpec = { catalogs: ['tpch', 'memory'], schemas: ['tpch.sf1', 'memory.default'], tables: [] };
  function setup(settings: Partial<PolicySettings> = {}) {
    const engine = new InMemoryQueryEngine();
    return { engine, policy: policyWith({ allowlist, allowWrites: true, ...settings }, engine) };
  }

  it('lets a read of allowed tables through, after asking the engine as the principal', async () => {
    const { engine, policy } = setup();
    const sql = 'SELECT * FROM tpch.sf1.nation n JOIN tpch.sf1.region r ON n.regionkey = r.regionkey';
    engine.define(IO(sql), ioPlan([['tpch', 'sf1', 'nation'], ['tpch', 'sf1', 'region']]));
    await expect(policy.authorize(sql, READ)).resolves.toBeUndefined();
    expect(engine.statements).toEqual([IO(sql)]);
    expect(engine.calls[0]!.principal).toBe(principal);
  });

  it('lets a statement that reads no table through', async () => {
    const { engine, policy } = setup();
    engine.define(IO('SELECT 1'), ioPlan([]));
    await expect(policy.authorize('SELECT 1', READ)).resolves.toBeUndefined();
  });

  it('compares names case-insensitively', async () => {
    const { engine, policy } = setup({ allowlist: { catalogs: ['TPCH'], schemas: ['Tpch.SF1'], tables: ['tpch.sf1.NATION'] } });
    engine.define(IO('SELECT * FROM tpch.sf1.nation'), ioPlan([['tpch', 'sf1', 'nation']]));
    await expect(policy.authorize('SELECT * FROM tpch.sf1.nation', READ)).resolves.toBeUndefined();
  });

  it('denies a read touching a table outside the allowlist with ALLOWLIST, naming no table', async () => {
    const { engine, policy } = setup();
    const sql = 'SELECT * FROM tpch.sf1.nation n JOIN tpch.sf100.orders o ON true';
    engine.define(IO(sql), ioPlan([['tpch', 'sf1', 'nation'], ['tpch', 'sf100', 'orders']]));
    const err = expectDomainError(await rejectionOf(policy.authorize(sql, READ)), 'POLICY_DENIED', { rule: 'ALLOWLIST' });
    expect(err.message).not.toContain('orders');
    expect(err.message).not.toContain('nation');
  });

  it('an outside table that exists and one that does not get the same answer', async () => {
    const { engine, policy } = setup();
    engine.define(IO('SELECT * FROM hive.hr.salaries'), ioPlan([['hive', 'hr', 'salaries']]));
    engine.define(IO('SELECT * FROM hive.hr.nothing'), { error: { errorName: 'TABLE_NOT_FOUND', message: "Table 'hive.hr.nothing' does not exist" } });
    engine.define(IO('SELECT nope FROM hive.hr.salaries'), { error: { errorName: 'COLUMN_NOT_FOUND', message: "Column 'nope' cannot be resolved" } });
    const answers = [];
    for (const sql of ['SELECT * FROM hive.hr.salaries', 'SELECT * FROM hive.hr.nothing', 'SELECT nope FROM hive.hr.salaries']) {
      const err = expectDomainError(await rejectionOf(policy.authorize(sql, READ)), 'POLICY_DENIED', { rule: 'ALLOWLIST' });
      answers.push({ code: err.code, details: err.details, message: err.message });
    }
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
  });

  it('keeps a syntax error of the analysis as it is: the parser runs before any name is resolved', async () => {
    const { engine, policy } = setup();
    engine.define(IO('SELECT FROM WHERE'), { error: { errorName: 'SYNTAX_ERROR', message: 'mismatched input' } });
    expectDomainError(await rejectionOf(policy.authorize('SELECT FROM WHERE', READ)), 'QUERY_INVALID', { errorName: 'SYNTAX_ERROR' });
  });

  it('resolves what Trino resolves: a view or information_schema reported as an input outside the list is denied', async () => {
    const { engine, policy } = setup();
    const sql = 'SELECT * FROM memory.information_schema.tables';
    engine.define(IO(sql), ioPlan([['memory', 'information_schema', 'tables']]));
    expectDomainError(await rejectionOf(policy.authorize(sql, READ)), 'POLICY_DENIED', { rule: 'ALLOWLIST' });
  });

  it.each([
    ['INSERT INTO', 'INSERT INTO memory.secret.t SELECT * FROM tpch.sf1.nation'],
    ['DELETE FROM', 'DELETE FROM memory.secret.t WHERE a = 1'],
    ['UPDATE', 'UPDATE memory.secret.t SET a = 1'],
    ['MERGE INTO', 'MERGE INTO memory.secret.t USING tpch.sf1.nation n ON true WHEN MATCHED THEN DELETE'],
    ['CREATE TABLE AS', 'CREATE TABLE memory.secret.t AS SELECT * FROM tpch.sf1.nation'],
    ['CREATE TABLE IF NOT EXISTS … WITH (…) AS', "CREATE TABLE IF NOT EXISTS memory.secret.t WITH (format = 'x') AS SELECT 1 WITH NO DATA"],
  ])('refuses a write to a target outside the allowlist by its name (%s), before any analysis', async (_name, sql) => {
    const { engine, policy } = setup();
    const err = expectDomainError(await rejectionOf(policy.authorize(sql, WRITE)), 'POLICY_DENIED', { rule: 'ALLOWLIST' });
    expect(err.message).toContain('memory.secret.t');
    expect(engine.calls).toEqual([]);
  });

  it('resolves an unqualified write target against TRINO_CATALOG / TRINO_SCHEMA', async () => {
    const { engine, policy } = setup({ defaults: { catalog: 'memory', schema: 'secret' } });
    expectDomainError(await rejectionOf(policy.authorize('INSERT INTO t VALUES (1)', WRITE)), 'POLICY_DENIED', { rule: 'ALLOWLIST' });
    expectDomainError(await rejectionOf(policy.authorize('INSERT INTO "Secret".t VALUES (1)', WRITE)), 'POLICY_DENIED', { rule: 'ALLOWLIST' });
    expect(engine.calls).toEqual([]);
  });

  it('analyses an INSERT into an allowed table (inputs and output), and refuses outside inputs without naming them', async () => {
    const { engine, policy } = setup();
    const inside = 'INSERT INTO memory.default.t SELECT * FROM tpch.sf1.nation';
    const readsOutside = 'INSERT INTO memory.default.t SELECT * FROM hive.hr.salaries';
    engine.define(IO(inside), ioPlan([['tpch', 'sf1', 'nation']], ['memory', 'default', 't']));
    engine.define(IO(readsOutside), ioPlan([['hive', 'hr', 'salaries']], ['memory', 'default', 't']));
    await expect(policy.authorize(inside, WRITE)).resolves.toBeUndefined();
    const err = expectDomainError(await rejectionOf(policy.authorize(readsOutside, WRITE)), 'POLICY_DENIED', { rule: 'ALLOWLIST' });
    expect(err.message).not.toContain('salaries');
    expect(engine.statements).toEqual([IO(inside), IO(readsOutside)]);
  });

  it('analyses only the query of a CREATE TABLE … AS, never the CTAS itself (planning it may create the table)', async () => {
    const { engine, policy } = setup();
    const sql = 'CREATE TABLE memory.default.copy COMMENT \'c\' AS (SELECT * FROM tpch.sf1.nation) WITH DATA';
    engine.define(IO('(SELECT * FROM tpch.sf1.nation)'), ioPlan([['tpch', 'sf1', 'nation']]));
    await expect(policy.authorize(sql, WRITE)).resolves.toBeUndefined();
    expect(engine.statements).toEqual([IO('(SELECT * FROM tpch.sf1.nation)')]);
  });

  it.each([
    ['CREATE TABLE', 'CREATE TABLE memory.default.x (a integer)'],
    ['DROP TABLE', 'DROP TABLE memory.default.t'],
    ['ALTER TABLE', 'ALTER TABLE memory.default.t ADD COLUMN b integer'],
    ['CREATE FUNCTION', 'CREATE FUNCTION memory.default.f() RETURNS bigint RETURN 1'],
  ])('denies DDL (%s) in write mode, without asking Trino', async (_name, sql) => {
    const { engine, policy } = setup();
    expectDomainError(await rejectionOf(policy.authorize(sql, WRITE)), 'POLICY_DENIED', { rule: 'ALLOWLIST' });
    expect(engine.calls).toEqual([]);
  });

  it('refuses an analysis answer that is not the documented JSON (fail closed)', async () => {
    const { engine, policy } = setup();
    engine.define(IO('SELECT 1'), textPlan('Fragment 0'));
    expectDomainError(await rejectionOf(policy.authorize('SELECT 1', READ)), 'POLICY_DENIED', { rule: 'ALLOWLIST' });
  });

  it.each([
    ['EXPLAIN (TYPE LOGICAL)', 'EXPLAIN (TYPE LOGICAL) SELECT * FROM tpch.sf1.nation;'],
    ['EXPLAIN ANALYZE VERBOSE', 'EXPLAIN ANALYZE VERBOSE SELECT * FROM tpch.sf1.nation ;'],
    ['EXPLAIN after a comment', '/* plan */ EXPLAIN (TYPE DISTRIBUTED, FORMAT TEXT) SELECT * FROM tpch.sf1.nation'],
  ])('analyses the statement under %s, not the EXPLAIN itself', async (_name, sql) => {
    const { engine, policy } = setup();
    engine.define(IO('SELECT * FROM tpch.sf1.nation'), ioPlan([['tpch', 'sf1', 'nation']]));
    await expect(policy.authorize(sql, READ)).resolves.toBeUndefined();
    expect(engine.statements).toEqual(['EXPLAIN (TYPE IO, FORMAT JSON) SELECT * FROM tpch.sf1.nation']);
  });

  it('strips a trailing semicolon and leading comments from the analysed statement', async () => {
    const { engine, policy } = setup();
    engine.define(IO('SELECT * FROM tpch.sf1.nation'), ioPlan([['tpch', 'sf1', 'nation']]));
    await expect(policy.authorize('-- hi\nSELECT * FROM tpch.sf1.nation;', READ)).resolves.toBeUndefined();
    expect(engine.statements).toEqual([IO('SELECT * FROM tpch.sf1.nation')]);
  });

  it('refuses by classification before any analysis (READ_ONLY, PASSTHROUGH, WRITES_DISABLED, lexical rules)', async () => {
    const { engine, policy } = setup();
    expectDomainError(await rejectionOf(policy.authorize('DELETE FROM memory.default.t', READ)), 'POLICY_DENIED', { rule: 'READ_ONLY' });
    expectDomainError(await rejectionOf(policy.authorize(PASSTHROUGH[0]![1], READ)), 'POLICY_DENIED', { rule: 'PASSTHROUGH' });
    expectDomainError(await rejectionOf(policy.authorize('SELECT 1; SELECT 2', READ)), 'POLICY_DENIED', { rule: 'SINGLE_STATEMENT' });
    const noWrites = setup({ allowWrites: false });
    expectDomainError(await rejectionOf(noWrites.policy.authorize('DELETE FROM memory.default.t', WRITE)), 'POLICY_DENIED', {
      rule: 'WRITES_DISABLED',
    });
    expect(engine.calls).toEqual([]);
    expect(noWrites.engine.calls).toEqual([]);
  });

  it('turns an analysis failure into a refusal, never an allowance, and keeps no errorName that would tell what exists', async () => {
    const { engine, policy } = setup();
    engine.define(IO('SELECT * FROM tpch.sf1.nope'), { error: { errorName: 'TABLE_NOT_FOUND', message: 'does not exist' } });
    const err = expectDomainError(await rejectionOf(policy.authorize('SELECT * FROM tpch.sf1.nope', READ)), 'POLICY_DENIED', { rule: 'ALLOWLIST' });
    expect(err.details.errorName).toBeUndefined();
  });

  it.each([
    ['SHOW CREATE TABLE', 'SHOW CREATE TABLE hive.hr.salaries'],
    ['SHOW CREATE VIEW', 'SHOW CREATE VIEW hive.hr.v'],
    ['SHOW CREATE MATERIALIZED VIEW', 'SHOW CREATE MATERIALIZED VIEW hive.hr.mv'],
    ['DESCRIBE', 'DESCRIBE hive.hr.salaries'],
    ['DESC', 'DESC "HIVE"."hr"."salaries"'],
    ['SHOW COLUMNS FROM', 'SHOW COLUMNS FROM hive.hr.salaries'],
    ['SHOW STATS FOR', 'SHOW STATS FOR hive.hr.salaries'],
    ['EXPLAIN of SHOW CREATE TABLE', 'EXPLAIN SHOW CREATE TABLE hive.hr.salaries'],
  ])('refuses %s of an outside table by its name, without asking Trino', async (_name, sql) => {
    const { engine, policy } = setup();
    const err = expectDomainError(await rejectionOf(policy.authorize(sql, READ)), 'POLICY_DENIED', { rule: 'ALLOWLIST' });
    expect(err.message).toContain('outside');
    expect(engine.calls).toEqual([]);
  });

  it.each([
    ['SHOW CREATE TABLE', 'SHOW CREATE TABLE tpch.sf1.nation'],
    ['DESCRIBE', 'DESCRIBE tpch.sf1.nation'],
    ['SHOW COLUMNS IN', 'SHOW COLUMNS IN tpch.sf1.nation'],
    ['SHOW STATS FOR', 'SHOW STATS FOR tpch.sf1.nation'],
    ['unqualified, resolved with the defaults', 'SHOW CREATE TABLE nation'],
  ])('allows %s of an allowed table by its name, without an analysis', async (_name, sql) => {
    const { engine, policy } = setup({ defaults: { catalog: 'tpch', schema: 'sf1' } });
    await expect(policy.authorize(sql, READ)).resolves.toBeUndefined();
    expect(engine.calls).toEqual([]);
  });

  it('SHOW STATS FOR (query) is judged by the analysis of the query', async () => {
    const { engine, policy } = setup();
    engine.define(IO('SELECT * FROM hive.hr.salaries'), ioPlan([['hive', 'hr', 'salaries']]));
    engine.define(IO('SELECT * FROM tpch.sf1.nation'), ioPlan([['tpch', 'sf1', 'nation']]));
    expectDomainError(await rejectionOf(policy.authorize('SHOW STATS FOR (SELECT * FROM hive.hr.salaries)', READ)), 'POLICY_DENIED', {
      rule: 'ALLOWLIST',
    });
    await expect(policy.authorize('SHOW STATS FOR (SELECT * FROM tpch.sf1.nation)', READ)).resolves.toBeUndefined();
  });

  it.each([
    'SHOW CATALOGS',
    'SHOW SCHEMAS FROM tpch',
    'SHOW TABLES FROM tpch.sf1',
    'SHOW FUNCTIONS',
    'SHOW CREATE SCHEMA tpch.sf1',
    'SHOW CREATE FUNCTION f',
    'SHOW SESSION',
    'SHOW GRANTS',
    'SHOW ROLES',
    'DESCRIBE tpch.sf1.nation extra',
    'SHOW COLUMNS FROM tpch.sf1.nation LIKE \'%\'',
    'EXPLAIN SHOW CATALOGS',
  ])('refuses %j, whose objects cannot be checked, without asking Trino', async (sql) => {
    const { engine, policy } = setup();
    expectDomainError(await rejectionOf(policy.authorize(sql, READ)), 'POLICY_DENIED', { rule: 'ALLOWLIST' });
    expect(engine.calls).toEqual([]);
  });

  it('under allowlists refuses every table function but the built-in ones, listed or not, in both modes', async () => {
    const { engine, policy } = setup({ allowedTableFunctions: ['gsheets.system.sheet'], allowPassthrough: true });
    const sheet = "SELECT * FROM TABLE(gsheets.system.sheet(id => 'x'))";
    expectDomainError(await rejectionOf(policy.authorize(sheet, READ)), 'POLICY_DENIED', { rule: 'TABLE_FUNCTION' });
    expectDomainError(await rejectionOf(policy.authorize(sheet, WRITE)), 'POLICY_DENIED', { rule: 'TABLE_FUNCTION' });
    expectDomainError(await rejectionOf(policy.authorize(PASSTHROUGH[0]![1], WRITE)), 'POLICY_DENIED', { rule: 'PASSTHROUGH' });
    expect(engine.calls).toEqual([]);
    const seq = 'SELECT * FROM TABLE(sequence(start => 1, stop => 2))';
    engine.define(IO(seq), ioPlan([]));
    await expect(policy.authorize(seq, READ)).resolves.toBeUndefined();
  });

  it('bounds the analysis by timeoutMs (TIMEOUT) and cancels it', async () => {
    const { engine, policy } = setup({ timeoutMs: 30 });
    engine.define(IO('SELECT * FROM tpch.sf1.nation'), { hang: true });
    expectDomainError(await rejectionOf(policy.authorize('SELECT * FROM tpch.sf1.nation', READ)), 'TIMEOUT');
    expect(engine.cancelled).toEqual(['fake_1']);
  });

  it('stops the analysis when the caller aborts (CANCELLED)', async () => {
    const { engine, policy } = setup();
    engine.define(IO('SELECT * FROM tpch.sf1.nation'), { hang: true });
    const controller = new AbortController();
    const pending = policy.authorize('SELECT * FROM tpch.sf1.nation', ctx('read', controller.signal));
    setTimeout(() => controller.abort(), 5);
    expectDomainError(await rejectionOf(pending), 'CANCELLED');
    expect(engine.cancelled).toEqual(['fake_1']);
  });

  it('answers visible() from the allowlist', () => {
    const { policy } = setup({ allowlist: { catalogs: [], schemas: [], tables: ['tpch.sf1.nation'] } });
    expect(policy.visible({ catalog: 'tpch' })).toBe(true);
    expect(policy.visible({ catalog: 'memory' })).toBe(false);
    expect(policy.visible({ catalog: 'tpch', schema: 'sf1' })).toBe(true);
    expect(policy.visible({ catalog: 'tpch', schema: 'sf100' })).toBe(false);
    expect(policy.visible({ catalog: 'TPCH', schema: 'SF1', table: 'Nation' })).toBe(true);
    expect(policy.visible({ catalog: 'tpch', schema: 'sf1', table: 'region' })).toBe(false);
  });
});

describe('parseStatement', () => {
  it('reports a write with its leading keywords and the statement the analysis is asked about', () => {
    expect(parseStatement('insert into t values 1')).toEqual({
      text: 'insert into t values 1',
      readOnly: false,
      keywords: 'INSERT INTO',
      analysed: 'insert into t values 1',
      shape: { kind: 'write', target: ['t'] },
      tableFunctions: [],
    });
    expect(parseStatement('EXPLAIN ANALYZE delete from t')).toMatchObject({ readOnly: false, keywords: 'DELETE FROM', analysed: 'delete from t' });
    expect(parseStatement('(INSERT INTO t VALUES 1)')).toMatchObject({ readOnly: false, keywords: 'INSERT INTO', analysed: '(INSERT INTO t VALUES 1)' });
  });

  it('analyses the statement after comments and an EXPLAIN prefix, without the trailing semicolon', () => {
    const sql = '/* x */ EXPLAIN (TYPE LOGICAL, FORMAT TEXT) SELECT 1;';
    expect(parseStatement(sql)).toEqual({
      text: '/* x */ EXPLAIN (TYPE LOGICAL, FORMAT TEXT) SELECT 1',
      readOnly: true,
      keywords: 'SELECT',
      analysed: 'SELECT 1',
      shape: { kind: 'query' },
      tableFunctions: [],
    });
    expect(parseStatement('  -- c\n select 1').analysed).toBe('select 1');
  });

  it.each([
    ['SELECT 1;', 'SELECT 1'],
    ['  SELECT 1 ;  ', 'SELECT 1'],
    ['SELECT 1', 'SELECT 1'],
    ['SELECT 1; -- x', 'SELECT 1 -- x'],
    ['SELECT 1 /* c */;', 'SELECT 1 /* c */'],
    ['SELECT 1; /* c */', 'SELECT 1 /* c */'],
    ['-- lead\nSELECT 1;', '-- lead\nSELECT 1'],
    ["SELECT ';'", "SELECT ';'"],
    ['SELECT "x;"', 'SELECT "x;"'],
    ['SELECT 1 -- ;', 'SELECT 1 -- ;'],
    ["SELECT  'a;b' ,\n  \"c;\" -- note\n;", "SELECT  'a;b' ,\n  \"c;\" -- note"],
  ])('sends %j to the engine as %j (one trailing semicolon removed, the rest untouched)', (input, expected) => {
    expect(parseStatement(input).text).toBe(expected);
  });

  it.each([
    ['INSERT INTO "My"."Schema".T (a) VALUES 1', { kind: 'write', target: ['My', 'Schema', 't'] }],
    ['update s.t set a = 1', { kind: 'write', target: ['s', 't'] }],
    ['CREATE OR REPLACE TABLE c.s.t AS SELECT 1', { kind: 'create-table-as', target: ['c', 's', 't'], query: 'SELECT 1' }],
    ['CREATE TABLE t AS SELECT 1 WITH NO DATA', { kind: 'create-table-as', target: ['t'], query: 'SELECT 1' }],
    ['CREATE TABLE t (a int)', { kind: 'other' }],
    ['CREATE TABLE t AS WITH DATA', { kind: 'other' }],
    ['SHOW STATS FOR (SELECT 1)', { kind: 'stats-of-query', query: 'SELECT 1' }],
    ['SHOW STATS FOR (SELECT 1) x', { kind: 'other' }],
    ['SHOW STATS FOR ()', { kind: 'other' }],
    ['SHOW CREATE VIEW a.b.c', { kind: 'names-table', target: ['a', 'b', 'c'] }],
    ['DESCRIBE a.b.c.d', { kind: 'other' }],
    ['EXPLAIN ANALYZE DESCRIBE t', { kind: 'names-table', target: ['t'] }],
    ['(SELECT 1)', { kind: 'query' }],
    ['CALL system.x()', { kind: 'other' }],
  ])('reads the shape of %j for the allowlist', (sql, shape) => {
    expect(parseStatement(sql).shape).toEqual(shape);
  });

  it.each([
    ['a query with an inline routine', 'WITH FUNCTION meaning() RETURNS bigint BEGIN DECLARE x bigint DEFAULT 42; RETURN x; END SELECT meaning()', true],
    ['a routine with IF, CASE and loops', "CREATE FUNCTION f(x int) RETURNS int BEGIN IF x > 0 THEN RETURN CASE WHEN x > 1 THEN 2 ELSE 1 END; END IF; WHILE x > 0 DO SET x = x - 1; END WHILE; CASE x WHEN 0 THEN RETURN 0; ELSE RETURN 1; END CASE; END", false],
    ['nested BEGIN blocks', 'CREATE FUNCTION f() RETURNS int BEGIN BEGIN RETURN 1; END; END', false],
  ])('keeps the ; inside the BEGIN … END body of %s: one statement', (_name, sql, readOnly) => {
    expect(parseStatement(sql)).toMatchObject({ readOnly, text: sql });
  });

  it.each([
    ['a second statement after a routine', 'CREATE FUNCTION f() RETURNS int BEGIN RETURN 1; END; DROP TABLE t'],
    ['a block left open', 'CREATE FUNCTION f() RETURNS int BEGIN RETURN 1;'],
    ['BEGIN without a routine', 'SELECT 1 AS begin; DROP TABLE t; SELECT 1 AS end'],
    ['a CASE expression that ends before the ;', 'SELECT CASE WHEN 1 = 1 THEN 1 END; DROP TABLE t'],
  ])('still refuses %s', (_name, sql) => {
    expectDomainError(thrownBy(() => parseStatement(sql)), 'POLICY_DENIED', { rule: 'SINGLE_STATEMENT' });
  });

  it('refuses a routine definition in read mode because it is not a read, not as several statements', async () => {
    const err = expectDomainError(
      await rejectionOf(readOnly.authorize('CREATE FUNCTION f() RETURNS bigint BEGIN DECLARE x bigint DEFAULT 42; RETURN x; END', READ)),
      'POLICY_DENIED',
      { rule: 'READ_ONLY' },
    );
    expect(err.message).toContain('CREATE FUNCTION');
  });

  it('explainOf wraps the text and keeps the classification of the explained statement', () => {
    const inner = parseStatement('DELETE FROM t;');
    expect(explainOf(inner, 'IO')).toEqual({ ...inner, text: 'EXPLAIN (TYPE IO) DELETE FROM t' });
  });

  it.each([
    ['', 'EMPTY'],
    ['SELECT 1; SELECT 2', 'SINGLE_STATEMENT'],
    ['SELECT 1;;', 'SINGLE_STATEMENT'],
    ["SELECT 'x", 'LEXICAL'],
    ['SELECT 1; /* x', 'LEXICAL'],
  ] as const)('throws POLICY_DENIED for %j (rule %s)', (sql, rule) => {
    expectDomainError(
      thrownBy(() => parseStatement(sql)),
      'POLICY_DENIED',
      { rule },
    );
  });

  it('classifies a 100 kB statement', () => {
    const big = `SELECT ${Array.from({ length: 10_000 }, (_, i) => `'value ${i}'`).join(', ')}`;
    expect(big.length).toBeGreaterThan(100_000);
    expect(parseStatement(big)).toMatchObject({ readOnly: true, keywords: 'SELECT', analysed: big });
  });

  it('scans a 100 kB statement full of TABLE( for pass-through functions', () => {
    const big = `SELECT * FROM ${Array.from({ length: 5_000 }, (_, i) => `TABLE(s.f${i}(x => ${i}))`).join(', ')}`;
    expect(big.length).toBeGreaterThan(100_000);
    expect(parseStatement(big).tableFunctions).toHaveLength(5_000);
  });
});
