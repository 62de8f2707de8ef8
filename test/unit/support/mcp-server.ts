import { Inflight } from '../../../src/adapters/lifecycle/inflight.ts';
import type { UseCases } from '../../../src/adapters/mcp/tools.ts';
import { TrinoMcpServer, type McpSettings } from '../../../src/adapters/mcp/trino-mcp-server.ts';
import type { Access } from '../../../src/domain/access.ts';
import type { QueryPolicy } from '../../../src/domain/policy.ts';
import type { Logger } from '../../../src/ports/logger.ts';
import type { QueryEngine } from '../../../src/ports/query-engine.ts';
import type { QuerySettings } from '../../../src/use-cases/call.ts';
import { ListCatalogs, ListSchemas, ListTables } from '../../../src/use-cases/catalog.ts';
import { SearchTables, type SearchLimits } from '../../../src/use-cases/search.ts';
import { BrowseObjects, CompleteNames } from '../../../src/use-cases/browse.ts';
import { DescribeTableDetailed } from '../../../src/use-cases/table-details.ts';
import type { QuerySlots } from '../../../src/use-cases/query-slots.ts';
import { ExecuteQuery, ExecuteStatement, ExplainQuery, FetchMore } from '../../../src/use-cases/statements.ts';
import { ResultPages, type PagesClock } from '../../../src/use-cases/pages.ts';
import { JweCursorCodec } from '../../../src/adapters/cursor/jwe-cursor-codec.ts';
import { CapturingLogger } from '../../fakes/capturing-logger.ts';
import { roomySlots } from './slots.ts';

/** Every use-case over one engine, policy and set of slots, as the container builds them. */
export function useCasesOver(
  engine: QueryEngine,
  settings: QuerySettings,
  policy: QueryPolicy,
  options: { slots?: QuerySlots; catalogsEngine?: QueryEngine; pages?: ResultPages; searchLimits?: Partial<SearchLimits> } = {},
): UseCases {
  const slots = options.slots ?? roomySlots();
  const pages = options.pages ?? testPages(engine);
  return {
    listCatalogs: new ListCatalogs(options.catalogsEngine ?? engine, settings, policy, slots),
    listSchemas: new ListSchemas(engine, settings, policy, slots),
    listTables: new ListTables(engine, settings, policy, slots),
    describeTable: new DescribeTableDetailed(engine, settings, policy, slots),
    searchTables: new SearchTables(engine, settings, policy, slots, options.searchLimits),
    browseObjects: new BrowseObjects(engine, settings, policy, slots),
    completeNames: new CompleteNames(engine, settings, policy, slots),
    // Pages only when a test asks for them: the others see a cut result cancelled, as before pages.
    executeQuery: new ExecuteQuery(engine, settings, policy, slots, options.pages),
    executeStatement: new ExecuteStatement(engine, settings, policy, slots),
    explainQuery: new ExplainQuery(engine, settings, policy, slots),
    fetchMore: new FetchMore(engine, settings, policy, slots, pages),
  };
}

/** Result pages over `engine` with a fixed key, the default TTL and cap, and the given clock. */
export function testPages(engine: QueryEngine, options: { clock?: PagesClock; maxOpenPerUser?: number; secret?: string } = {}): ResultPages {
  const codec = new JweCursorCodec({ secret: options.secret ?? 'unit-test cursor secret, 32 bytes or more', context: 'unit' });
  return new ResultPages(engine, codec, { ttlMs: 300_000, maxOpenPerUser: options.maxOpenPerUser ?? 4 }, options.clock);
}

/** The MCP edge's settings for these query settings. */
export function mcpSettingsOf(settings: QuerySettings, progressIntervalMs = 5_000): McpSettings {
  const { maxRows, maxResultBytes, maxValueBytes, timeoutMs } = settings;
  return { maxRows, maxResultBytes, maxValueBytes, timeoutMs, markUntrusted: false, cursorTtlMs: 300_000, confirmation: { mode: 'none', stateKey: new Uint8Array(32) }, progressIntervalMs, name: 'trino-mcp', version: '0.0.0-test' };
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
