import { InMemoryQueryEngine } from '../fakes/in-memory-query-engine.ts';
import { CONTRACT_SQL, queryEngineContract } from './query-engine.contract.ts';
import { PAGED_ROWS, PAGED_SQL, queryEnginePagesContract } from './query-engine-pages.contract.ts';

/** The fake, taught the contract's statements the way Trino answers them. */
function fake(): InMemoryQueryEngine {
  return new InMemoryQueryEngine()
    .define(CONTRACT_SQL.duplicateColumns, {
      columns: [
        { name: 'a', type: 'integer' },
        { name: 'a', type: 'varchar(1)' },
        { name: 'b', type: 'bigint' },
      ],
      rows: [[1, 'x', null]],
      batchSize: 10,
    })
    .define(CONTRACT_SQL.manyRows, {
      columns: [{ name: 'orderkey', type: 'bigint' }],
      rows: Array.from({ length: 5000 }, (_, i) => [i + 1]),
      batchSize: 500,
    })
    .define(CONTRACT_SQL.syntaxError, { error: { errorName: 'SYNTAX_ERROR', message: "line 1:8: mismatched input 'FROM'" } })
    .define(CONTRACT_SQL.unknownTable, { error: { errorName: 'TABLE_NOT_FOUND', message: "line 1:15: Table 'tpch.tiny.no_such_table' does not exist" } })
    .define(CONTRACT_SQL.slow, { hang: true })
    .define(PAGED_SQL, { columns: [{ name: 'orderkey', type: 'bigint' }, { name: 'comment', type: 'varchar(79)' }], rows: Array.from({ length: PAGED_ROWS }, (_, i) => [i + 1, `c${i}`]), batchSize: 8_079 });
}

const engine = fake();
queryEngineContract('InMemoryQueryEngine (fake)', () => ({
  engine,
  unreachable: new InMemoryQueryEngine().define(CONTRACT_SQL.duplicateColumns, { unavailable: true }),
  wasCancelled: async (id) => engine.cancelled.includes(id),
}));

queryEnginePagesContract('InMemoryQueryEngine (fake)', () => ({
  engine,
  settled: (id) => Promise.resolve(engine.cancelled.includes(id) ? 'CANCELLED' : engine.isRunning(id) || engine.open.includes(id) ? 'OTHER' : 'FINISHED'),
}));
