import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { buildContainer, Policy } from '../../src/app/container.ts';
import { loadConfig } from '../../src/app/config.ts';
import { TrinoQueryEngine } from '../../src/adapters/trino/trino-query-engine.ts';
import { Inflight } from '../../src/adapters/lifecycle/inflight.ts';
import { UseCases } from '../../src/adapters/mcp/tools.ts';
import { TrinoMcpServer } from '../../src/adapters/mcp/trino-mcp-server.ts';
import { Access } from '../../src/domain/access.ts';
import { SqlQueryPolicy, type QueryPolicy } from '../../src/domain/policy.ts';
import { parseStatement } from '../../src/domain/statement.ts';
import { QueryEngine } from '../../src/ports/query-engine.ts';
import { DescribeTable, ListCatalogs, ListSchemas, ListTables } from '../../src/use-cases/catalog.ts';
import { QuerySlots } from '../../src/use-cases/query-slots.ts';
import { ExecuteQuery, ExecuteStatement, ExplainQuery } from '../../src/use-cases/statements.ts';
import { CapturingLogger } from '../fakes/capturing-logger.ts';

function containerFor(env: Record<string, string>) {
  const loaded = loadConfig(env);
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  return buildContainer(loaded.config, new CapturingLogger());
}

describe('composition root', () => {
  it('resolves every binding of the real container', () => {
    const container = containerFor({ TRINO_HOST: 'trino.internal', TRINO_PORT: '8443' });
    expect(container.get(QueryEngine)).toBeInstanceOf(TrinoQueryEngine);
    expect(container.get(Policy)).toBeInstanceOf(SqlQueryPolicy);
    expect(container.get(Access)).toBeInstanceOf(Access);
    expect(container.get(Inflight)).toBeInstanceOf(Inflight);
    const useCases = container.get<UseCases>(UseCases);
    expect(useCases).toMatchObject({
      listCatalogs: expect.any(ListCatalogs),
      listSchemas: expect.any(ListSchemas),
      listTables: expect.any(ListTables),
      describeTable: expect.any(DescribeTable),
      executeQuery: expect.any(ExecuteQuery),
      executeStatement: expect.any(ExecuteStatement),
      explainQuery: expect.any(ExplainQuery),
    });
    const servers = container.get(TrinoMcpServer);
    expect(servers).toBeInstanceOf(TrinoMcpServer);
    // One MCP server per connection, all from the same singleton use-cases and in-flight tracker.
    const principal = { subject: 's', scopes: [], via: 'test' };
    expect(servers.create({ principal })).not.toBe(servers.create({ principal }));
    expect(container.get(UseCases)).toBe(useCases);
    expect(container.get(Inflight)).toBe(container.get(Inflight));
  });

  it('builds the policy and who may write from the configuration', () => {
    const container = containerFor({
      TRINO_ALLOW_WRITE_QUERIES: 'true',
      TRINO_ALLOWED_CATALOGS: 'tpch',
      TRINO_ALLOWED_SCHEMAS: 'tpch.sf1',
      TRINO_ALLOWED_TABLES: 'tpch.sf1.nation',
    });
    const policy = container.get<QueryPolicy>(Policy);
    // With allowlists set, a query is analysed by Trino before it runs.
    expect(policy.check(parseStatement('SELECT 1'), 'read', { subject: 's', scopes: [], via: 'test' })).toBe('SELECT 1');
    expect(policy.visible({ catalog: 'tpch', schema: 'sf1', table: 'nation' })).toBe(true);
    expect(policy.visible({ catalog: 'tpch', schema: 'sf1', table: 'orders' })).toBe(false);
    expect(policy.visible({ catalog: 'memory' })).toBe(false);
    expect(container.get(Access).settings).toEqual({ allowWrites: true, requiredScopes: [], writeScope: undefined });
  });

  it('builds one QuerySlots for the process from the TRINO_MAX_CONCURRENT_* and queue settings', () => {
    const container = containerFor({
      TRINO_MAX_CONCURRENT_QUERIES: '7',
      TRINO_MAX_CONCURRENT_QUERIES_PER_USER: '3',
      TRINO_MAX_QUEUED_QUERIES: '11',
      TRINO_QUEUE_TIMEOUT: '2',
    });
    const slots = container.get(QuerySlots);
    expect(slots.limits).toEqual({ maxConcurrent: 7, maxConcurrentPerUser: 3, maxQueued: 11, queueTimeoutMs: 2_000 });
    expect(container.get(QuerySlots)).toBe(slots);
    // The defaults: 16 in total, 4 per user, 64 waiting for up to 5 s.
    expect(containerFor({}).get(QuerySlots).limits).toEqual({ maxConcurrent: 16, maxConcurrentPerUser: 4, maxQueued: 64, queueTimeoutMs: 5_000 });
  });

  it('the write scope applies over HTTP with OAuth only: over stdio the operator is the caller', () => {
    const oauth = { OAUTH_ENABLED: 'true', OAUTH_PROVIDER: 'hmac', JWT_SECRET: 'x'.repeat(32), OAUTH_WRITE_SCOPE: 'trino:write', TRINO_ALLOW_WRITE_QUERIES: 'true' };
    const operator = { subject: 'op', scopes: [], via: 'stdio' };
    const overHttp = containerFor({ ...oauth, MCP_TRANSPORT: 'http', OAUTH_REQUIRED_SCOPES: 'trino:read' }).get(Access);
    expect(overHttp.scopesFor('write')).toEqual(['trino:read', 'trino:write']);
    expect(overHttp.allows(operator, 'write')).toBe(false);
    expect(containerFor({ ...oauth, MCP_TRANSPORT: 'stdio' }).get(Access).allows(operator, 'write')).toBe(true);
  });
});
