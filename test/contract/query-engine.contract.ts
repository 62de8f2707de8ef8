import { describe, expect, it } from 'vitest';
import { isDomainError } from '../../src/domain/errors.ts';
import type { QueryEngine, QueryEvent, QueryRequest } from '../../src/ports/query-engine.ts';
import { slowSql } from '../support/trino-sql.ts';

/** Statements the contract runs; every engine under test must know them. */
export const CONTRACT_SQL = {
  duplicateColumns: "SELECT 1 AS a, 'x' AS a, CAST(NULL AS bigint) AS b",
  manyRows: 'SELECT orderkey FROM tpch.sf1.orders',
  syntaxError: 'SELECT FROM WHERE',
  unknownTable: 'SELECT * FROM tpch.tiny.no_such_table',
  slow: slowSql(),
} as const;

export interface ContractSubject {
  readonly engine: QueryEngine;
  /** An engine of the same kind whose backend cannot be reached. */
  readonly unreachable: QueryEngine;
  /** Whether the engine's backend saw the query cancelled (polling as needed). */
  wasCancelled(queryId: string): Promise<boolean>;
}

const principal = { subject: 'contract', scopes: [], via: 'test' };
const request = (sql: string): QueryRequest => ({ sql, principal });

/** Every event of one run of `sql`. */
export async function collect(engine: QueryEngine, sql: string, signal = new AbortController().signal) {
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

/**
 * The QueryEngine contract (see src/ports/query-engine.ts), written once, run on every
 * implementation. Only behaviour an implementation's own code produces belongs here: a case
 * the fake could pass only by echoing what it was told to answer proves nothing about the
 * fake (value decoding and session isolation are tested on Trino, trino-query-engine.test.ts).
 */
export function queryEngineContract(name: string, subject: () => ContractSubject): void {
  describe(`QueryEngine contract: ${name}`, () => {
    it('reports started, then columns, then rows; keeps column order and duplicate names', async () => {
      // Progress may come between the other events, any number of times: the order is of the rest.
      const events = (await collect(subject().engine, CONTRACT_SQL.duplicateColumns)).filter((e) => e.kind !== 'progress');
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
  });
}
