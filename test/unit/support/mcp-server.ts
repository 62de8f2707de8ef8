import { Inflight } from '../../../src/adapters/lifecycle/inflight.ts';
import type { UseCases } from '../../../src/adapters/mcp/tools.ts';
import { TrinoMcpServer, type McpSettings } from '../../../src/adapters/mcp/trino-mcp-server.ts';
import type { Access } from '../../../src/domain/access.ts';
import type { QueryPolicy } from '../../../src/domain/policy.ts';
import type { Logger } from '../../../src/ports/logger.ts';
import type { QueryEngine } from '../../../src/ports/query-engine.ts';
import type { QuerySettings } from '../../../src/use-cases/call.ts';
import { DescribeTable, ListCatalogs, ListSchemas, ListTables } from '../../../src/use-cases/catalog.ts';
import type { QuerySlots } from '../../../src/use-cases/query-slots.ts';
import { ExecuteQuery, ExecuteStatement, ExplainQuery } from '../../../src/use-cases/statements.ts';
import { CapturingLogger } from '../../fakes/capturing-logger.ts';
import { roomySlots } from './slots.ts';

/** Every use-case over one engine, policy and set of slots, as the container builds them. */
export function useCasesOver(
  engine: QueryEngine,
  settings: QuerySettings,
  policy: QueryPolicy,
  options: { slots?: QuerySlots; catalogsEngine?: QueryEngine } = {},
): UseCases {
  const slots = options.slots ?? roomySlots();
  return {
    listCatalogs: new ListCatalogs(options.catalogsEngine ?? engine, settings, policy, slots),
    listSchemas: new ListSchemas(engine, settings, policy, slots),
    listTables: new ListTables(engine, settings, policy, slots),
    describeTable: new DescribeTable(engine, settings, policy, slots),
    executeQuery: new ExecuteQuery(engine, settings, policy, slots),
    executeStatement: new ExecuteStatement(engine, settings, policy, slots),
    explainQuery: new ExplainQuery(engine, settings, policy, slots),
  };
}

/** The MCP edge's settings for these query settings. */
export function mcpSettingsOf(settings: QuerySettings, progressIntervalMs = 5_000): McpSettings {
  const { maxRows, maxResultBytes, maxValueBytes, timeoutMs } = settings;
  return { maxRows, maxResultBytes, maxValueBytes, timeoutMs, progressIntervalMs, name: 'trino-mcp', version: '0.0.0-test' };
}

/** The MCP edge over fakes, built as the container builds it. */
export function mcpServerOver(deps: { useCases: UseCases; settings: QuerySettings; access: Access; log?: Logger }): TrinoMcpServer {
  return new TrinoMcpServer(mcpSettingsOf(deps.settings), deps.access, deps.useCases, new Inflight(), deps.log ?? new CapturingLogger());
}

/** The query settings of the unit tests: the server's byte defaults, a row cap of 3, defaults memory.default. */
export function unitSettings(overrides: Partial<QuerySettings> = {}): QuerySettings {
  return {
    maxRows: 3,
    maxResultBytes: 4 * 1024 * 1024,
    maxValueBytes: 64 * 1024,
    timeoutMs: 5_000,
    defaults: { catalog: 'memory', schema: 'default' },
    ...overrides,
  };
}
