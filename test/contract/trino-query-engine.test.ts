import { describe, expect, it } from 'vitest';
import { TrinoQueryEngine } from '../../src/adapters/trino/trino-query-engine.ts';
import { CapturingLogger } from '../fakes/capturing-logger.ts';
import { settledQueryState, trinoUrl } from '../support/trino-sql.ts';
import { collect, queryEngineContract } from './query-engine.contract.ts';
import { queryEnginePagesContract } from './query-engine-pages.contract.ts';

const connection = (server: string) => ({ server, user: 'contract', verifyCertificates: true, source: 'trino-mcp-contract' });
const engine = () => new TrinoQueryEngine(connection(trinoUrl()), new CapturingLogger());

queryEngineContract('TrinoQueryEngine (real Trino)', () => ({
  engine: engine(),
  unreachable: new TrinoQueryEngine(connection('http://127.0.0.1:9'), new CapturingLogger()),
  wasCancelled: async (id) => {
    const s = await settledQueryState(id);
    return s.state === 'FAILED' && s.errorCode === 'USER_CANCELED';
  },
}));

queryEnginePagesContract('TrinoQueryEngine (real Trino)', () => ({
  engine: engine(),
  settled: async (id) => {
    const s = await settledQueryState(id);
    return s.state === 'FINISHED' ? 'FINISHED' : s.state === 'FAILED' && s.errorCode === 'USER_CANCELED' ? 'CANCELLED' : 'OTHER';
  },
}));

const rowsOf = (events: Awaited<ReturnType<typeof collect>>) => events.flatMap((e) => (e.kind === 'rows' ? e.rows : []));

describe('TrinoQueryEngine on real Trino, beyond the contract', () => {
  it('keeps every digit of a bigint beyond 2^53 (as a decimal string); safe integers stay numbers', async () => {
    const sql = "SELECT BIGINT '9223372036854775807' AS max, BIGINT '-9007199254740993' AS beyond, BIGINT '9007199254740991' AS safe, 1.5E0 AS d";
    expect(rowsOf(await collect(engine(), sql))).toEqual([['9223372036854775807', '-9007199254740993', 9007199254740991, 1.5]]);
  });

  it('session changes of one statement do not leak into the next', async () => {
    const e = engine();
    await collect(e, "SET SESSION query_max_run_time = '1s'");
    // Trino's default for query_max_run_time: what a fresh session shows.
    expect(rowsOf(await collect(e, "SHOW SESSION LIKE 'query_max_run_time'"))[0]?.[1]).toBe('100.00d');
  });
});
