import { TrinoQueryEngine } from '../../src/adapters/trino/trino-query-engine.ts';
import { CapturingLogger } from '../fakes/capturing-logger.ts';
import { settledQueryState, trinoUrl } from '../support/trino-sql.ts';
import { queryEngineContract } from './query-engine.contract.ts';

const connection = (server: string) => ({ server, user: 'contract', verifyCertificates: true, source: 'trino-mcp-contract' });

queryEngineContract('TrinoQueryEngine (real Trino)', () => ({
  engine: new TrinoQueryEngine(connection(trinoUrl()), new CapturingLogger()),
  unreachable: new TrinoQueryEngine(connection('http://127.0.0.1:9'), new CapturingLogger()),
  wasCancelled: async (id) => {
    const s = await settledQueryState(id);
    return s.state === 'FAILED' && s.errorCode === 'USER_CANCELED';
  },
  defaultMaxRunTime: '100.00d',
}));
