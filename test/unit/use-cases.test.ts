import { afterEach, describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.ts';
import type { Column, Principal } from '../../src/domain/model.ts';
import type { QueryEngine, QueryEvent } from '../../src/ports/query-engine.ts';
import { Call, readCapped, type QuerySettings } from '../../src/use-cases/call.ts';
import { DescribeTable, ListCatalogs, ListSchemas, ListTables } from '../../src/use-cases/catalog.ts';
import { ExecuteQuery, ExecuteStatement, ExplainQuery } from '../../src/use-cases/statements.ts';
import { FakeQueryPolicy } from '../fakes/fake-query-policy.ts';
import { InMemoryQueryEngine } from '../fakes/in-memory-query-engine.ts';
import { expectDomainError, rejectionOf } from './support/domain-error.ts';
import { expectAllFree, roomySlots } from './support/slots.ts';
import { unitSettings } from './support/mcp-server.ts';
import { noPages } from '../fakes/no-pages.ts';

const principal: Principal = { subject: 'alice', scopes: ['trino:read'], via: 'test' };
const settings: QuerySettings = unitSettings();
/** Byte limits too large to matter, for the tests about rows. */
const NO_BYTE_LIMITS = { maxBytes: Number.MAX_SAFE_INTEGER, maxValueBytes: Number.MAX_SAFE_INTEGER };
const noSignal = () => new AbortController().signal;
const cols: Column[] = [{ name: 'n', type: 'integer' }];
const numbers = (count: number) => Array.from({ length: count }, (_, i) => [i + 1]);
/** Shared by every use-case here: each test, whatever way its call ends, must give its query slot back. */
const slots = roomySlots();
afterEach(() => expectAllFree(slots));

/** readCapped in a call of its own, ended as the use-cases end theirs. */
async function inCall<T>(call: Call, work: (call: Call) => Promise<T>): Promise<T> {
  try {
    return await work(call);
  } finally {
    call.end();
  }
}

describe('readCapped', () => {
  const read = (engine: InMemoryQueryEngine, sql: string, maxRows: number, timeoutMs = 5_000, signal = noSignal()) =>
    inCall(new Call(principal, signal, timeoutMs, slots), (call) => readCapped(engine, sql, call, { maxRows, defaults: {}, ...NO_BYTE_LIMITS }));

  it.each([
    // rows, batchSize, cap, expected rows, truncated
    [5, 2, 3, 3, true],
    [4, 2, 3, 3, true],
    [4, 2, 2, 2, true],
    [3, 2, 3, 3, false],
    [3, 3, 3, 3, false],
    [3, 1, 3, 3, false],
    [2, 2, 3, 2, false],
    [0, 2, 3, 0, false],
    [1, 2, 1, 1, false],
    [2, 1, 1, 1, true],
  ])('%i rows in batches of %i with cap %i → %i rows, truncated %s', async (count, batchSize, cap, expected, truncated) => {
    const engine = new InMemoryQueryEngine().define('Q', { columns: cols, rows: numbers(count), batchSize });
    const result = await read(engine, 'Q', cap);
    expect(result).toEqual({
      columns: cols,
      rows: numbers(expected),
      rowCount: expected,
      truncated,
      ...(truncated ? { truncatedBy: 'rows' } : {}),
      queryId: 'fake_1',
    });
    // The query is cancelled exactly when the result was truncated.
    expect(engine.cancelled).toEqual(truncated ? ['fake_1'] : []);
    expect(engine.isRunning('fake_1')).toBe(false);
  });

  it('keeps column order and duplicate names', async () => {
    const columns = [
      { name: 'x', type: 'integer' },
      { name: 'x', type: 'varchar' },
      { name: 'a', type: 'double' },
    ];
    const engine = new InMemoryQueryEngine().define('Q', { columns, rows: [[1, 'one', 1.5]] });
    expect((await read(engine, 'Q', 10)).columns).toEqual(columns);
  });

  it('turns a run past the timeout into TIMEOUT with the query id, and cancels the query', async () => {
    const engine = new InMemoryQueryEngine().define('SLOW', { hang: true });
    const started = performance.now();
    const err = await rejectionOf(read(engine, 'SLOW', 10, 50));
    expectDomainError(err, 'TIMEOUT', { queryId: 'fake_1' });
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(engine.cancelled).toEqual(['fake_1']);
    expect(engine.isRunning('fake_1')).toBe(false);
  });

  it('reports an already-aborted caller signal as CANCELLED, not TIMEOUT', async () => {
    const engine = new InMemoryQueryEngine().define('SLOW', { hang: true });
    const err = await rejectionOf(read(engine, 'SLOW', 10, 50, AbortSignal.abort()));
    expectDomainError(err, 'CANCELLED');
  });

  it('reports a caller abort during the query as CANCELLED with the query id, and cancels the query', async () => {
    const engine = new InMemoryQueryEngine().define('SLOW', { hang: true });
    const controller = new AbortController();
    const pending = read(engine, 'SLOW', 10, 5_000, controller.signal);
    setTimeout(() => controller.abort(), 10);
    expectDomainError(await rejectionOf(pending), 'CANCELLED', { queryId: 'fake_1' });
    expect(engine.cancelled).toEqual(['fake_1']);
  });

  it('adds the query id to an engine error that lacks one, keeping code, details and cause', async () => {
    const cause = new Error('transport detail');
    const engine: QueryEngine = {
      ...noPages,
      async *run() {
        yield { kind: 'started', queryId: 'q_42' };
        throw new DomainError('ENGINE_UNAVAILABLE', 'gone', { retryable: true }, { cause });
      },
    };
    const err = expectDomainError(
      await rejectionOf(inCall(new Call(principal, noSignal(), 5_000, slots), (call) => readCapped(engine, 'Q', call, { maxRows: 10, defaults: {}, ...NO_BYTE_LIMITS }))),
      'ENGINE_UNAVAILABLE',
      { retryable: true, queryId: 'q_42' },
    );
    expect(err.message).toBe('gone');
    expect(err.cause).toBe(cause);
  });

  it('passes engine failures through with the query id', async () => {
    const engine = new InMemoryQueryEngine()
      .define('BAD', { error: { errorName: 'TYPE_MISMATCH', message: 'no' } })
      .define('DOWN', { unavailable: true });
    expectDomainError(await rejectionOf(read(engine, 'BAD', 10)), 'QUERY_INVALID', { errorName: 'TYPE_MISMATCH', queryId: 'fake_1' });
    expectDomainError(await rejectionOf(read(engine, 'DOWN', 10)), 'ENGINE_UNAVAILABLE', { retryable: true });
  });
});

/** A statement use-case on the fake engine, with a policy that records when it was asked. */
function statementSetup<U>(make: (engine: QueryEngine, policy: FakeQueryPolicy) => U, deny: string[] = []) {
  const engine = new InMemoryQueryEngine();
  const order: string[] = [];
  // A rule the fake does not default to: the use-case must pass the policy's refusal through as it is.
  const policy = new FakeQueryPolicy({
    deny,
    rule: 'ALLOWLIST',
    onCheck: (statement, mode) => order.push(`policy:${mode}:${statement.text}:engine-calls=${engine.calls.length}`),
  });
  return { engine, policy, order, useCase: make(engine, policy) };
}

describe('ExecuteQuery', () => {
  const setup = (deny: string[] = []) => statementSetup((e, p) => new ExecuteQuery(e, settings, p, slots), deny);

  it('asks the policy in read mode before the engine, with the statement and the principal', async () => {
    const { engine, policy, order, useCase } = setup();
    engine.define('SELECT 1', { columns: cols, rows: [[1]] });
    const signal = noSignal();
    const result = await useCase.execute({ sql: 'SELECT 1' }, principal, signal);
    expect(result.rows).toEqual([[1]]);
    expect(order).toEqual(['policy:read:SELECT 1:engine-calls=0']);
    expect(policy.calls).toEqual([{ sql: 'SELECT 1', mode: 'read' }]);
    expect(policy.principals).toEqual([principal]);
    expect(engine.calls).toEqual([{ sql: 'SELECT 1', principal, catalog: 'memory', schema: 'default' }]);
  });

  it('never sends a denied statement to the engine', async () => {
    const { engine, useCase } = setup(['DELETE FROM t']);
    const err = await rejectionOf(useCase.execute({ sql: 'DELETE FROM t' }, principal, noSignal()));
    expectDomainError(err, 'POLICY_DENIED', { rule: 'ALLOWLIST' });
    expect(engine.calls).toEqual([]);
  });

  it('strips one trailing semicolon before the engine sees the statement', async () => {
    const { engine, policy, useCase } = setup();
    engine.define('SELECT 1', { columns: cols, rows: [[1]] }).define('SELECT 1 -- done', { columns: cols, rows: [[1]] });
    await useCase.execute({ sql: 'SELECT 1;' }, principal, noSignal());
    await useCase.execute({ sql: 'SELECT 1; -- done' }, principal, noSignal());
    // The statement is lexed once: the policy judges the same text the engine is sent.
    expect(policy.calls.map((c) => c.sql)).toEqual(['SELECT 1', 'SELECT 1 -- done']);
    expect(engine.statements).toEqual(['SELECT 1', 'SELECT 1 -- done']);
  });

  it('caps rows at maxRows and marks the result truncated', async () => {
    const { engine, useCase } = setup();
    engine.define('SELECT n', { columns: cols, rows: numbers(10) });
    const result = await useCase.execute({ sql: 'SELECT n' }, principal, noSignal());
    expect(result).toMatchObject({ rows: numbers(3), rowCount: 3, truncated: true });
    expect(engine.cancelled).toEqual(['fake_1']);
  });

  it('lets a per-call limit lower the cap', async () => {
    const { engine, useCase } = setup();
    engine.define('SELECT n', { columns: cols, rows: numbers(10) });
    const result = await useCase.execute({ sql: 'SELECT n', limit: 2 }, principal, noSignal());
    expect(result).toMatchObject({ rows: numbers(2), rowCount: 2, truncated: true });
  });

  it('does not let a per-call limit raise the cap above maxRows', async () => {
    const { engine, useCase } = setup();
    engine.define('SELECT n', { columns: cols, rows: numbers(10) });
    const result = await useCase.execute({ sql: 'SELECT n', limit: 1_000 }, principal, noSignal());
    expect(result).toMatchObject({ rows: numbers(3), rowCount: 3, truncated: true });
  });

  it('returns an exactly-cap result untruncated and lets the query finish', async () => {
    const { engine, useCase } = setup();
    engine.define('SELECT n', { columns: cols, rows: numbers(2) });
    const result = await useCase.execute({ sql: 'SELECT n', limit: 2 }, principal, noSignal());
    expect(result).toMatchObject({ rowCount: 2, truncated: false, queryId: 'fake_1' });
    expect(engine.cancelled).toEqual([]);
  });

  it('times out a hanging statement with TIMEOUT and cancels it', async () => {
    const engine = new InMemoryQueryEngine().define('SELECT sleep', { hang: true });
    const useCase = new ExecuteQuery(engine, { ...settings, timeoutMs: 50 }, new FakeQueryPolicy(), slots);
    const err = await rejectionOf(useCase.execute({ sql: 'SELECT sleep' }, principal, noSignal()));
    expectDomainError(err, 'TIMEOUT', { queryId: 'fake_1' });
    expect(engine.cancelled).toEqual(['fake_1']);
  });

  it('reports a caller abort as CANCELLED', async () => {
    const engine = new InMemoryQueryEngine().define('SELECT sleep', { hang: true });
    const useCase = new ExecuteQuery(engine, { ...settings, timeoutMs: 50 }, new FakeQueryPolicy(), slots);
    expectDomainError(await rejectionOf(useCase.execute({ sql: 'SELECT sleep' }, principal, AbortSignal.abort())), 'CANCELLED');
    const controller = new AbortController();
    const pending = useCase.execute({ sql: 'SELECT sleep' }, principal, controller.signal);
    setTimeout(() => controller.abort(), 5);
    expectDomainError(await rejectionOf(pending), 'CANCELLED', { queryId: 'fake_1' });
    expect(engine.cancelled).toEqual(['fake_1']);
  });
});

describe('the allowlist analysis is a step of the call', () => {
  /** An engine that records the signal of every run; the analysis answers a plan, the query hangs or answers. */
  function recordingEngine(query: 'hang' | 'answer', analysis: 'hang' | 'answer' = 'answer') {
    const runs: { sql: string; signal: AbortSignal }[] = [];
    const engine: QueryEngine = {
      ...noPages,
      async *run(request, signal): AsyncGenerator<QueryEvent> {
        runs.push({ sql: request.sql, signal });
        yield { kind: 'started', queryId: `q${runs.length}` };
        yield { kind: 'columns', columns: cols };
        const hang = request.sql.startsWith('EXPLAIN (TYPE IO') ? analysis === 'hang' : query === 'hang';
        if (hang) {
          await new Promise((_, reject) => signal.addEventListener('abort', () => reject(new DomainError('CANCELLED', 'cancelled')), { once: true }));
        }
        yield { kind: 'rows', rows: [[request.sql.startsWith('EXPLAIN') ? '{"inputTableColumnInfos":[]}' : 1]] };
      },
    };
    return { engine, runs };
  }

  it('runs EXPLAIN IO of the statement, hands the plan to the policy, then runs the statement under the same signal', async () => {
    const { engine, runs } = recordingEngine('answer');
    const policy = new FakeQueryPolicy({ needsAnalysis: true });
    await new ExecuteQuery(engine, settings, policy, slots).execute({ sql: 'SELECT 1;' }, principal, noSignal());
    expect(runs.map((r) => r.sql)).toEqual(['EXPLAIN (TYPE IO, FORMAT JSON) SELECT 1', 'SELECT 1']);
    expect(policy.analyses).toEqual(['{"inputTableColumnInfos":[]}']);
    // One signal, so one deadline: the analysis and the query share TRINO_QUERY_TIMEOUT.
    expect(runs[0]!.signal).toBe(runs[1]!.signal);
  });

  it('a hanging analysis ends the call with TIMEOUT at the call deadline, and the statement never runs', async () => {
    const { engine, runs } = recordingEngine('answer', 'hang');
    const useCase = new ExecuteQuery(engine, { ...settings, timeoutMs: 50 }, new FakeQueryPolicy({ needsAnalysis: true }), slots);
    expectDomainError(await rejectionOf(useCase.execute({ sql: 'SELECT 1' }, principal, noSignal())), 'TIMEOUT');
    expect(runs.map((r) => r.sql)).toEqual(['EXPLAIN (TYPE IO, FORMAT JSON) SELECT 1']);
  });

  it('explain_query analyses the explained statement, not the EXPLAIN around it', async () => {
    const { engine, runs } = recordingEngine('answer');
    await new ExplainQuery(engine, settings, new FakeQueryPolicy({ needsAnalysis: true }), slots).execute({ sql: 'SELECT 1' }, principal, noSignal());
    expect(runs.map((r) => r.sql)).toEqual(['EXPLAIN (TYPE IO, FORMAT JSON) SELECT 1', 'EXPLAIN (TYPE LOGICAL) SELECT 1']);
  });
});

describe('ExplainQuery', () => {
  function setup(deny: string[] = []) {
    const engine = new InMemoryQueryEngine();
    const policy = new FakeQueryPolicy({ deny });
    return { engine, policy, useCase: new ExplainQuery(engine, settings, policy, slots) };
  }

  it.each(['LOGICAL', 'DISTRIBUTED', 'IO'] as const)('sends EXPLAIN (TYPE %s) <sql> to the policy and the engine', async (type) => {
    const { engine, policy, useCase } = setup();
    const statement = `EXPLAIN (TYPE ${type}) SELECT 1`;
    engine.define(statement, { columns: [{ name: 'Query Plan', type: 'varchar' }], rows: [['line 1'], ['line 2']] });
    const result = await useCase.execute({ sql: 'SELECT 1;', type }, principal, noSignal());
    expect(policy.calls).toEqual([{ sql: statement, mode: 'read' }]);
    expect(policy.principals).toEqual([principal]);
    expect(engine.statements).toEqual([statement]);
    expect(result).toEqual({ type, plan: 'line 1\nline 2', truncated: false });
  });

  it('defaults to LOGICAL', async () => {
    const { engine, useCase } = setup();
    engine.define('EXPLAIN (TYPE LOGICAL) SELECT 1', { columns: cols, rows: [['plan']] });
    expect(await useCase.execute({ sql: 'SELECT 1' }, principal, noSignal())).toEqual({ type: 'LOGICAL', plan: 'plan', truncated: false });
  });

  it('reports VALIDATE as valid: <answer>', async () => {
    const { engine, useCase } = setup();
    engine.define('EXPLAIN (TYPE VALIDATE) SELECT 1', { columns: [{ name: 'Valid', type: 'boolean' }], rows: [[true]] });
    expect(await useCase.execute({ sql: 'SELECT 1', type: 'VALIDATE' }, principal, noSignal())).toEqual({ type: 'VALIDATE', plan: 'valid: true', truncated: false });
  });

  it('reads the whole plan, beyond maxRows', async () => {
    const { engine, useCase } = setup();
    engine.define('EXPLAIN (TYPE LOGICAL) SELECT 1', { columns: cols, rows: numbers(7).map(([n]) => [`l${n}`]) });
    const { plan } = await useCase.execute({ sql: 'SELECT 1' }, principal, noSignal());
    expect(plan.split('\n')).toHaveLength(7);
    expect(engine.cancelled).toEqual([]);
  });

  it('never sends a denied EXPLAIN to the engine', async () => {
    const { engine, useCase } = setup(['EXPLAIN (TYPE LOGICAL) DELETE FROM t']);
    expectDomainError(await rejectionOf(useCase.execute({ sql: 'DELETE FROM t' }, principal, noSignal())), 'POLICY_DENIED');
    expect(engine.calls).toEqual([]);
  });
});

describe('DescribeTable', () => {
  const describeCols = [
    { name: 'Column', type: 'varchar' },
    { name: 'Type', type: 'varchar' },
    { name: 'Extra', type: 'varchar' },
    { name: 'Comment', type: 'varchar' },
  ];

  it('describes the quoted, resolved table and maps the rows to columns', async () => {
    const engine = new InMemoryQueryEngine().define('DESCRIBE "memory"."default"."Orders"', {
      columns: describeCols,
      rows: [
        ['id', 'bigint', '', ''],
        ['note', 'varchar(25)', null, 'free text'],
        ['p', 'date', 'partition key', null],
        ['a', 'integer', '', ''],
        ['b', 'integer', '', ''],
      ],
    });
    const result = await new DescribeTable(engine, settings, new FakeQueryPolicy(), slots).execute({ table: 'Orders' }, principal, noSignal());
    expect(result).toEqual({
      catalog: 'memory',
      schema: 'default',
      table: 'Orders',
      columns: [
        { name: 'id', type: 'bigint' },
        { name: 'note', type: 'varchar(25)', comment: 'free text' },
        { name: 'p', type: 'date', extra: 'partition key' },
        { name: 'a', type: 'integer' },
        { name: 'b', type: 'integer' }, // more than maxRows (3): a table is described whole
      ],
      truncated: false,
    });
  });

  it('quotes every part, so a name cannot inject SQL', async () => {
    const engine = new InMemoryQueryEngine();
    await rejectionOf(new DescribeTable(engine, settings, new FakeQueryPolicy(), slots).execute({ table: 'c."s.x"."t"" ; DROP TABLE y; --"' }, principal, noSignal()));
    expect(engine.statements).toEqual(['DESCRIBE "c"."s.x"."t"" ; DROP TABLE y; --"']);
  });

  it('maps TABLE_NOT_FOUND to NOT_FOUND, keeping errorName and queryId', async () => {
    const engine = new InMemoryQueryEngine().define('DESCRIBE "memory"."default"."nope"', {
      error: { errorName: 'TABLE_NOT_FOUND', message: "line 1:1: Table 'memory.default.nope' does not exist" },
    });
    const err = await rejectionOf(new DescribeTable(engine, settings, new FakeQueryPolicy(), slots).execute({ table: 'nope' }, principal, noSignal()));
    expectDomainError(err, 'NOT_FOUND', { errorName: 'TABLE_NOT_FOUND', queryId: 'fake_1' });
  });

  it('keeps other query errors as QUERY_INVALID', async () => {
    const engine = new InMemoryQueryEngine().define('DESCRIBE "memory"."default"."t"', {
      error: { errorName: 'PERMISSION_DENIED', message: 'Access Denied' },
    });
    const err = await rejectionOf(new DescribeTable(engine, settings, new FakeQueryPolicy(), slots).execute({ table: 't' }, principal, noSignal()));
    expectDomainError(err, 'QUERY_INVALID', { errorName: 'PERMISSION_DENIED' });
  });

  it('rejects a malformed name with INVALID_ARGUMENT before reaching the engine', async () => {
    const engine = new InMemoryQueryEngine();
    const err = await rejectionOf(new DescribeTable(engine, settings, new FakeQueryPolicy(), slots).execute({ table: 'a.b.c.d' }, principal, noSignal()));
    expectDomainError(err, 'INVALID_ARGUMENT');
    expect(engine.calls).toEqual([]);
  });
});

describe('listings', () => {
  it('ListCatalogs lists the first column and reports truncation at maxRows', async () => {
    const engine = new InMemoryQueryEngine().define('SHOW CATALOGS', { columns: [{ name: 'Catalog', type: 'varchar' }], rows: [['a'], ['b'], ['c'], ['d']] });
    expect(await new ListCatalogs(engine, settings, new FakeQueryPolicy(), slots).execute(principal, noSignal())).toEqual({
      names: ['a', 'b', 'c'],
      truncated: true,
      truncatedBy: 'rows',
    });
  });

  it('ListSchemas quotes the catalog name', async () => {
    const engine = new InMemoryQueryEngine().define('SHOW SCHEMAS FROM "we""ird"', { columns: [{ name: 'Schema', type: 'varchar' }], rows: [['s1']] });
    expect(await new ListSchemas(engine, settings, new FakeQueryPolicy(), slots).execute({ catalog: 'we"ird' }, principal, noSignal())).toEqual({
      catalog: 'we"ird',
      names: ['s1'],
      truncated: false,
    });
    expect(engine.statements).toEqual(['SHOW SCHEMAS FROM "we""ird"']);
  });

  it('ListSchemas falls back to the default catalog and maps CATALOG_NOT_FOUND to NOT_FOUND', async () => {
    const engine = new InMemoryQueryEngine().define('SHOW SCHEMAS FROM "memory"', {
      error: { errorName: 'CATALOG_NOT_FOUND', message: "Catalog 'memory' not found" },
    });
    const err = await rejectionOf(new ListSchemas(engine, settings, new FakeQueryPolicy(), slots).execute({}, principal, noSignal()));
    expectDomainError(err, 'NOT_FOUND', { errorName: 'CATALOG_NOT_FOUND' });
  });

  it('ListSchemas without a catalog or default is INVALID_ARGUMENT', async () => {
    const engine = new InMemoryQueryEngine();
    const err = await rejectionOf(new ListSchemas(engine, { ...settings, defaults: {} }, new FakeQueryPolicy(), slots).execute({}, principal, noSignal()));
    expectDomainError(err, 'INVALID_ARGUMENT');
    expect(engine.calls).toEqual([]);
  });

  it('ListTables quotes catalog and schema and maps SCHEMA_NOT_FOUND to NOT_FOUND', async () => {
    const engine = new InMemoryQueryEngine()
      .define('SHOW TABLES FROM "c"."s x"', { columns: [{ name: 'Table', type: 'varchar' }], rows: [['t1'], ['t2']] })
      .define('SHOW TABLES FROM "c"."gone"', { error: { errorName: 'SCHEMA_NOT_FOUND', message: 'gone' } });
    const list = new ListTables(engine, settings, new FakeQueryPolicy(), slots);
    expect(await list.execute({ catalog: 'c', schema: 's x' }, principal, noSignal())).toEqual({
      catalog: 'c',
      schema: 's x',
      names: ['t1', 't2'],
      truncated: false,
    });
    expectDomainError(await rejectionOf(list.execute({ catalog: 'c', schema: 'gone' }, principal, noSignal())), 'NOT_FOUND');
  });

  it('ListTables without a schema or default is INVALID_ARGUMENT', async () => {
    const engine = new InMemoryQueryEngine();
    const err = await rejectionOf(new ListTables(engine, { ...settings, defaults: { catalog: 'c' } }, new FakeQueryPolicy(), slots).execute({}, principal, noSignal()));
    expectDomainError(err, 'INVALID_ARGUMENT');
    expect(engine.calls).toEqual([]);
  });
});

describe('ExecuteStatement', () => {
  const setup = (deny: string[] = []) => statementSetup((e, p) => new ExecuteStatement(e, settings, p, slots), deny);

  it('asks the policy in write mode before the engine, with the statement and the principal', async () => {
    const { engine, policy, order, useCase } = setup();
    engine.define('INSERT INTO t VALUES (1)', { columns: [{ name: 'rows', type: 'bigint' }], rows: [[1]] });
    const signal = noSignal();
    const result = await useCase.execute({ sql: 'INSERT INTO t VALUES (1);' }, principal, signal);
    expect(result).toMatchObject({ columns: [{ name: 'rows', type: 'bigint' }], rows: [[1]], rowCount: 1, truncated: false });
    expect(order).toEqual(['policy:write:INSERT INTO t VALUES (1):engine-calls=0']);
    expect(policy.calls).toEqual([{ sql: 'INSERT INTO t VALUES (1)', mode: 'write' }]);
    expect(policy.principals).toEqual([principal]);
    // One trailing semicolon is stripped; the session defaults apply, as for ExecuteQuery.
    expect(engine.calls).toEqual([{ sql: 'INSERT INTO t VALUES (1)', principal, catalog: 'memory', schema: 'default' }]);
  });

  it('never sends a denied statement to the engine', async () => {
    const { engine, useCase } = setup(['DROP TABLE t']);
    const err = await rejectionOf(useCase.execute({ sql: 'DROP TABLE t' }, principal, noSignal()));
    expectDomainError(err, 'POLICY_DENIED', { rule: 'ALLOWLIST' });
    expect(engine.calls).toEqual([]);
  });

  it('applies the row cap and a lower limit like ExecuteQuery', async () => {
    const { engine, useCase } = setup();
    engine.define('SELECT n', { columns: cols, rows: numbers(10) });
    expect(await useCase.execute({ sql: 'SELECT n' }, principal, noSignal())).toMatchObject({ rows: numbers(3), truncated: true });
    expect(await useCase.execute({ sql: 'SELECT n', limit: 1 }, principal, noSignal())).toMatchObject({ rows: numbers(1), truncated: true });
  });

  it('rejects a bad limit with INVALID_ARGUMENT before asking the policy', async () => {
    const { engine, policy, useCase } = setup();
    expectDomainError(await rejectionOf(useCase.execute({ sql: 'SELECT 1', limit: 0 }, principal, noSignal())), 'INVALID_ARGUMENT');
    expect(policy.calls).toEqual([]);
    expect(engine.calls).toEqual([]);
  });
});

describe('listings and descriptions under the allowlist (policy.visible)', () => {
  const names = (column: string, values: string[]) => ({ columns: [{ name: column, type: 'varchar' }], rows: values.map((v) => [v]) });
  const wide: QuerySettings = { ...settings, maxRows: 100 };

  it('ListCatalogs keeps only the visible catalogs, asking about each by name', async () => {
    const engine = new InMemoryQueryEngine().define('SHOW CATALOGS', names('Catalog', ['hive', 'memory', 'system', 'tpch']));
    const policy = new FakeQueryPolicy({ visible: (o) => o.catalog === 'memory' || o.catalog === 'tpch' });
    expect(await new ListCatalogs(engine, wide, policy, slots).execute(principal, noSignal())).toEqual({ names: ['memory', 'tpch'], truncated: false });
    expect(policy.visibleCalls).toEqual([{ catalog: 'hive' }, { catalog: 'memory' }, { catalog: 'system' }, { catalog: 'tpch' }]);
    expect(policy.calls).toEqual([]);
  });

  it('ListSchemas checks the catalog, then keeps only the visible schemas', async () => {
    const engine = new InMemoryQueryEngine().define('SHOW SCHEMAS FROM "memory"', names('Schema', ['default', 'information_schema', 'sales']));
    const policy = new FakeQueryPolicy({ visible: (o) => o.schema === undefined || o.schema === 'sales' });
    expect(await new ListSchemas(engine, wide, policy, slots).execute({}, principal, noSignal())).toEqual({
      catalog: 'memory',
      names: ['sales'],
      truncated: false,
    });
    expect(policy.visibleCalls).toEqual([
      { catalog: 'memory' },
      { catalog: 'memory', schema: 'default' },
      { catalog: 'memory', schema: 'information_schema' },
      { catalog: 'memory', schema: 'sales' },
    ]);
  });

  it('ListTables checks the schema, then keeps only the visible tables', async () => {
    const engine = new InMemoryQueryEngine().define('SHOW TABLES FROM "memory"."default"', names('Table', ['orders', 'secrets', 'users']));
    const policy = new FakeQueryPolicy({ visible: (o) => o.table !== 'secrets' });
    expect(await new ListTables(engine, wide, policy, slots).execute({}, principal, noSignal())).toEqual({
      catalog: 'memory',
      schema: 'default',
      names: ['orders', 'users'],
      truncated: false,
    });
    expect(policy.visibleCalls[0]).toEqual({ catalog: 'memory', schema: 'default' });
    expect(policy.visibleCalls.slice(1)).toEqual(['orders', 'secrets', 'users'].map((table) => ({ catalog: 'memory', schema: 'default', table })));
  });

  it('ListSchemas refuses an invisible catalog with POLICY_DENIED (ALLOWLIST) before any engine call', async () => {
    const engine = new InMemoryQueryEngine();
    const policy = new FakeQueryPolicy({ visible: (o) => o.catalog !== 'hive' });
    const err = expectDomainError(
      await rejectionOf(new ListSchemas(engine, settings, policy, slots).execute({ catalog: 'hive' }, principal, noSignal())),
      'POLICY_DENIED',
      { rule: 'ALLOWLIST' },
    );
    expect(err.message).toContain('"hive"');
    expect(engine.calls).toEqual([]);
  });

  it('ListTables refuses an invisible schema with POLICY_DENIED (ALLOWLIST) before any engine call', async () => {
    const engine = new InMemoryQueryEngine();
    const policy = new FakeQueryPolicy({ visible: (o) => o.schema !== 'hr' });
    const err = expectDomainError(
      await rejectionOf(new ListTables(engine, settings, policy, slots).execute({ schema: 'hr' }, principal, noSignal())),
      'POLICY_DENIED',
      { rule: 'ALLOWLIST' },
    );
    expect(err.message).toContain('"memory"."hr"');
    expect(policy.visibleCalls).toEqual([{ catalog: 'memory', schema: 'hr' }]);
    expect(engine.calls).toEqual([]);
  });

  it('DescribeTable refuses an invisible table with POLICY_DENIED (ALLOWLIST) before any engine call', async () => {
    const engine = new InMemoryQueryEngine();
    const policy = new FakeQueryPolicy({ visible: (o) => o.table !== 'salaries' });
    const err = expectDomainError(
      await rejectionOf(new DescribeTable(engine, settings, policy, slots).execute({ table: 'hr.salaries' }, principal, noSignal())),
      'POLICY_DENIED',
      { rule: 'ALLOWLIST' },
    );
    expect(err.message).toContain('"memory"."hr"."salaries"');
    // Asked about the resolved name: the default catalog filled in.
    expect(policy.visibleCalls).toEqual([{ catalog: 'memory', schema: 'hr', table: 'salaries' }]);
    expect(engine.calls).toEqual([]);
  });

  it('DescribeTable describes a visible table', async () => {
    const engine = new InMemoryQueryEngine().define('DESCRIBE "c"."s"."t"', {
      columns: [
        { name: 'Column', type: 'varchar' },
        { name: 'Type', type: 'varchar' },
        { name: 'Extra', type: 'varchar' },
        { name: 'Comment', type: 'varchar' },
      ],
      rows: [['id', 'bigint', '', '']],
    });
    const policy = new FakeQueryPolicy({ visible: (o) => o.catalog === 'c' });
    expect(await new DescribeTable(engine, settings, policy, slots).execute({ table: 'c.s.t' }, principal, noSignal())).toEqual({
      catalog: 'c',
      schema: 's',
      table: 't',
      columns: [{ name: 'id', type: 'bigint' }],
      truncated: false,
    });
    expect(policy.visibleCalls).toEqual([{ catalog: 'c', schema: 's', table: 't' }]);
  });

  it('lets an unknown but visible catalog through to NOT_FOUND', async () => {
    const engine = new InMemoryQueryEngine().define('SHOW SCHEMAS FROM "nope"', {
      error: { errorName: 'CATALOG_NOT_FOUND', message: "Catalog 'nope' not found" },
    });
    const err = await rejectionOf(new ListSchemas(engine, settings, new FakeQueryPolicy(), slots).execute({ catalog: 'nope' }, principal, noSignal()));
    expectDomainError(err, 'NOT_FOUND', { errorName: 'CATALOG_NOT_FOUND' });
  });
});
