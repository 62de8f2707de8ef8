import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { buildContainer } from '../../src/app/container.ts';
import { loadConfig } from '../../src/app/config.ts';
import { TrinoQueryEngine } from '../../src/adapters/trino/trino-query-engine.ts';
import { SqlQueryPolicy } from '../../src/adapters/policy/sql-query-policy.ts';
import { TrinoMcpServer } from '../../src/adapters/mcp/trino-mcp-server.ts';
import { DescribeTable, ExecuteQuery, ExecuteStatement, ExplainQuery, ListCatalogs, ListSchemas, ListTables } from '../../src/domain/use-cases.ts';
import { QueryEngine } from '../../src/ports/query-engine.ts';
import { PolicySettings, QueryPolicy } from '../../src/ports/query-policy.ts';
import { CapturingLogger } from '../fakes/capturing-logger.ts';

describe('composition root', () => {
  it('resolves every binding of the real container', () => {
    const loaded = loadConfig({ TRINO_HOST: 'trino.internal', TRINO_PORT: '8443' });
    if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
    const container = buildContainer(loaded.config, new CapturingLogger());
    expect(container.get(QueryEngine)).toBeInstanceOf(TrinoQueryEngine);
    expect(container.get(QueryPolicy)).toBeInstanceOf(SqlQueryPolicy);
    const useCases: Array<abstract new (...args: never[]) => unknown> = [
      ListCatalogs,
      ListSchemas,
      ListTables,
      DescribeTable,
      ExecuteQuery,
      ExecuteStatement,
      ExplainQuery,
    ];
    for (const useCase of useCases) expect(container.get(useCase)).toBeInstanceOf(useCase);
    const servers = container.get(TrinoMcpServer);
    expect(servers).toBeInstanceOf(TrinoMcpServer);
    // One MCP server per connection, all from the same singleton use-cases.
    const principal = { subject: 's', scopes: [], via: 'test' };
    expect(servers.create(() => principal)).not.toBe(servers.create(() => principal));
    expect(container.get(ExecuteQuery)).toBe(container.get(ExecuteQuery));
  });

  it('builds the policy settings from the configuration', () => {
    const loaded = loadConfig({
      TRINO_ALLOW_WRITE_QUERIES: 'true',
      TRINO_ALLOW_PASSTHROUGH_FUNCTIONS: 'true',
      TRINO_ALLOWED_CATALOGS: 'tpch',
      TRINO_ALLOWED_SCHEMAS: 'tpch.sf1',
      TRINO_ALLOWED_TABLES: 'tpch.sf1.nation',
      TRINO_QUERY_TIMEOUT: '42',
      TRINO_CATALOG: 'tpch',
      TRINO_SCHEMA: 'sf1',
    });
    if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
    const container = buildContainer(loaded.config, new CapturingLogger());
    expect(container.get<PolicySettings>(PolicySettings)).toEqual({
      allowWrites: true,
      allowPassthrough: true,
      allowlist: { catalogs: ['tpch'], schemas: ['tpch.sf1'], tables: ['tpch.sf1.nation'] },
      timeoutMs: 42_000,
      defaults: { catalog: 'tpch', schema: 'sf1' },
    });
    const policy = container.get<QueryPolicy>(QueryPolicy);
    expect(policy.visible({ catalog: 'tpch', schema: 'sf1', table: 'nation' })).toBe(true);
    expect(policy.visible({ catalog: 'memory' })).toBe(false);
  });
});
