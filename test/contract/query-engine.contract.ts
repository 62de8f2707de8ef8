import { describe, expect, it } from 'vitest';
import { isDomainError } from '../../src/domain/errors.ts';
import type { QueryEngine, QueryEvent, QueryRequest } from '../../src/ports/query-engine.ts';

/** Statements the contract runs; every engine under test must know them. */
export const CONTRACT_SQL = {
  duplicateColumns: "SELECT 1 AS a, 'x' AS a, CAST(NULL AS bigint) AS b",
  manyRows: 'SELECT orderkey FROM tpch.sf1.orders',
  syntaxError: 'SELECT FROM WHERE',
  unknownTable: 'SELECT * FROM tpch.tiny.no_such_table',
  slow: 'SELECT sum(extendedprice) FROM tpch.sf1000.lineitem',
  setSession: "SET SESSION query_max_run_time = '1s'",
  showSession: "SHOW SESSION LIKE 'query_max_run_time'",
  bigints: 'SELECT BIGINT \'9223372036854775807\' AS max, BIGINT \'-9007199254740993\' AS beyond, BIGINT \'9007199254740991\' AS safe, 1.5E0 AS d',
} as const;

export interface ContractSubject {
  readonly engine: QueryEngine;
  /** An engine of the same kind whose backend cannot be reached. */
  readonly unreachable: QueryEngine;
  /** Whether the engine's backend saw the query cancelled (polling as needed). */
  wasCancelled(queryId: string): Promise<boolean>;
  /** The default of query_max_run_time as the backend reports it. */
  readonly defaultMaxRunTime: string;
}

const principal = { subject: 'contract', scopes: [], via: 'test' };
const request = (sql: string): QueryRequest => ({ sql, principal });

async function collect(engine: QueryEngine, sql: string, signal = new AbortController().signal) {
  const events: QueryEvent[] = [];
  for await (const e of engine.run(request(sql), signal)) events.push(e);
  return events;
}

async function failure(run: Promise<unknown>) {
  try {
    await run;
  } catch (err) {
    if (isDomainError(err)) return err;
    throw err;
  }
  throw new Error('expected a DomainError');
}

/** The QueryEngine contract (see src/ports/query-engine.ts), written once, run on every implementation. */
export function queryEngineContract(name: string, subject: () => ContractSubject): void {
  describe(`QueryEngine contract: ${name}`, () => {
    it('reports started, then columns, then rows; keeps column order and duplicate names', async () => {
      const events = await collect(subject().engine, CONTRACT_SQL.duplicateColumns);
      expect(events.map((e) => e.kind)).toEqual(['started', 'columns', 'rows']);
      const columns = events[1]?.kind === 'columns' ? events[1].columns : [];
      expect(columns).toEqual([
        { name: 'a', type: 'integer' },
        { name: 'a', type: 'varchar(1)' },
        { name: 'b', type: 'bigint' },
      ]);
      expect(events[2]?.kind === 'rows' ? events[2].rows : []).toEqual([[1, 'x', null]]);
    });

    it('ending the iteration early cancels the query', async () => {
      const s = subject();
      let queryId = '';
      let rows = 0;
      for await (const e of s.engine.run(request(CONTRACT_SQL.manyRows), new AbortController().signal)) {
        if (e.kind === 'started') queryId = e.queryId;
        if (e.kind === 'rows') {
          rows += e.rows.length;
          break;
        }
      }
      expect(rows).toBeGreaterThan(0);
      expect(await s.wasCancelled(queryId)).toBe(true);
    });

    it('aborting the signal cancels the query and throws CANCELLED', async () => {
      const s = subject();
      const controller = new AbortController();
      let queryId = '';
      const run = (async () => {
        for await (const e of s.engine.run(request(CONTRACT_SQL.slow), controller.signal)) {
          if (e.kind === 'started') {
            queryId = e.queryId;
            setTimeout(() => controller.abort(), 300);
          }
        }
      })();
      const err = await failure(run);
      expect(err.code).toBe('CANCELLED');
      expect(await s.wasCancelled(queryId)).toBe(true);
    });

    it('a statement the engine rejects is QUERY_INVALID with its error name', async () => {
      const syntax = await failure(collect(subject().engine, CONTRACT_SQL.syntaxError));
      expect(syntax.code).toBe('QUERY_INVALID');
      expect(syntax.details.errorName).toBe('SYNTAX_ERROR');
      const missing = await failure(collect(subject().engine, CONTRACT_SQL.unknownTable));
      expect(missing.code).toBe('QUERY_INVALID');
      expect(missing.details.errorName).toBe('TABLE_NOT_FOUND');
    });

    it('an unreachable backend is ENGINE_UNAVAILABLE and retryable', async () => {
      const err = await failure(collect(subject().unreachable, CONTRACT_SQL.duplicateColumns));
      expect(err.code).toBe('ENGINE_UNAVAILABLE');
      expect(err.details.retryable).toBe(true);
    });

    it('keeps every digit of a bigint beyond 2^53 (as a decimal string); safe integers stay numbers', async () => {
      const events = await collect(subject().engine, CONTRACT_SQL.bigints);
      const rows = events.flatMap((e) => (e.kind === 'rows' ? e.rows : []));
      expect(rows).toEqual([['9223372036854775807', '-9007199254740993', 9007199254740991, 1.5]]);
    });

    it('session changes of one statement do not leak into the next', async () => {
      const s = subject();
      await collect(s.engine, CONTRACT_SQL.setSession);
      const events = await collect(s.engine, CONTRACT_SQL.showSession);
      const rows = events.flatMap((e) => (e.kind === 'rows' ? e.rows : []));
      expect(rows[0]?.[1]).toBe(s.defaultMaxRunTime);
    });
  });
}
