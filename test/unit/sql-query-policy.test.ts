import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { classifyStatement, SqlQueryPolicy } from '../../src/adapters/policy/sql-query-policy.ts';
import type { Principal } from '../../src/domain/model.ts';
import { expectDomainError, rejectionOf, thrownBy } from './support/domain-error.ts';

const principal: Principal = { subject: 'alice', scopes: [], via: 'test' };
const readOnly = new SqlQueryPolicy({ allowWrites: false });
const writable = new SqlQueryPolicy({ allowWrites: true });

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
const DENIED: readonly (readonly [string, string, string])[] = [
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

describe('SqlQueryPolicy (read-only)', () => {
  it('has a corpus of at least 40 statements', () => {
    expect(READS.length + DENIED.length).toBeGreaterThanOrEqual(40);
  });

  it.each(READS)('allows %s', async (_name, sql) => {
    await expect(readOnly.authorize(sql, principal)).resolves.toBeUndefined();
    expect(classifyStatement(sql)).toEqual({ readOnly: true });
  });

  it.each(DENIED)('denies %s: %j → %s', async (_name, sql, rule) => {
    expectDomainError(await rejectionOf(readOnly.authorize(sql, principal)), 'POLICY_DENIED', { rule });
  });

  it('names the refused statement by its leading keywords', async () => {
    const err = expectDomainError(await rejectionOf(readOnly.authorize('set session x = 1', principal)), 'POLICY_DENIED', {
      rule: 'READ_ONLY',
    });
    expect(err.message).toContain('SET SESSION');
  });
});

describe('SqlQueryPolicy (allowWrites: true)', () => {
  const writes = DENIED.filter(([, , rule]) => rule === 'READ_ONLY');

  it.each(writes)('allows %s', async (_name, sql) => {
    await expect(writable.authorize(sql, principal)).resolves.toBeUndefined();
  });

  it.each(DENIED.filter(([, , rule]) => rule !== 'READ_ONLY'))('still denies %s: %j → %s', async (_name, sql, rule) => {
    expectDomainError(await rejectionOf(writable.authorize(sql, principal)), 'POLICY_DENIED', { rule });
  });

  it.each(READS)('still allows %s', async (_name, sql) => {
    await expect(writable.authorize(sql, principal)).resolves.toBeUndefined();
  });
});

describe('classifyStatement', () => {
  it('reports a write with its leading keywords', () => {
    expect(classifyStatement('insert into t values 1')).toEqual({ readOnly: false, statement: 'INSERT INTO' });
    expect(classifyStatement('EXPLAIN ANALYZE delete from t')).toEqual({ readOnly: false, statement: 'DELETE FROM' });
    expect(classifyStatement('(INSERT INTO t VALUES 1)')).toEqual({ readOnly: false, statement: 'INSERT INTO' });
  });

  it.each([
    ['', 'EMPTY'],
    ['SELECT 1; SELECT 2', 'SINGLE_STATEMENT'],
    ["SELECT 'x", 'LEXICAL'],
  ])('throws POLICY_DENIED for %j (rule %s)', (sql, rule) => {
    expectDomainError(
      thrownBy(() => classifyStatement(sql)),
      'POLICY_DENIED',
      { rule },
    );
  });

  it('classifies a 100 kB statement quickly', () => {
    const big = `SELECT ${Array.from({ length: 10_000 }, (_, i) => `'value ${i}'`).join(', ')}`;
    expect(big.length).toBeGreaterThan(100_000);
    const started = performance.now();
    expect(classifyStatement(big)).toEqual({ readOnly: true });
    expect(performance.now() - started).toBeLessThan(500);
  });
});
