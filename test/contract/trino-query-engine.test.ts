import { describe, expect, it } from 'vitest';
import { TrinoQueryEngine } from '../../src/adapters/trino/trino-query-engine.ts';
import { CapturingLogger } from '../fakes/capturing-logger.ts';
import type { QueryProgress } from '../../src/ports/query-engine.ts';
import { settledQueryState, slowSql, trinoUrl } from '../support/trino-sql.ts';
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

  it("reports Trino's progress while a query runs: state, rows and bytes processed, splits", async () => {
    const controller = new AbortController();
    const seen: QueryProgress[] = [];
    let queryId = '';
    try {
      for await (const e of engine().run({ sql: slowSql('contract_progress'), principal: { subject: 'contract', scopes: [], via: 'test' } }, controller.signal)) {
        if (e.kind === 'started') queryId = e.queryId;
        if (e.kind === 'progress') seen.push(e.progress);
        if (seen.some((p) => p.state === 'RUNNING' && p.totalSplits > 0 && p.processedRows > 0)) break;
      }
    } finally {
      controller.abort();
    }
    // tpch generates its rows, so Trino counts no input bytes for it: rows and splits are what move.
    const running = seen.find((p) => p.state === 'RUNNING' && p.processedRows > 0);
    expect(running?.totalSplits).toBeGreaterThan(0);
    expect(running!.completedSplits).toBeLessThanOrEqual(running!.totalSplits);
    // Breaking out cancelled it: nothing keeps the shared Trino busy.
    expect((await settledQueryState(queryId)).errorCode).toBe('USER_CANCELED');
  });

  it('session changes of one statement do not leak into the next', async () => {
    const e = engine();
    await collect(e, "SET SESSION query_max_run_time = '1s'");
    // Trino's default for query_max_run_time: what a fresh session shows.
    expect(rowsOf(await collect(e, "SHOW SESSION LIKE 'query_max_run_time'"))[0]?.[1]).toBe('100.00d');
  });
});
