import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { Container, ContainerModule } from 'inversify';
import { Access } from '../domain/access.ts';
import { SqlQueryPolicy, type QueryPolicy } from '../domain/policy.ts';
import { QueryEngine } from '../ports/query-engine.ts';
import { Logger } from '../ports/logger.ts';
import { TokenVerifier } from '../ports/token-verifier.ts';
import type { QuerySettings } from '../use-cases/call.ts';
import { ListCatalogs, ListSchemas, ListTables } from '../use-cases/catalog.ts';
import { SearchTables } from '../use-cases/search.ts';
import { BrowseObjects, CompleteNames } from '../use-cases/browse.ts';
import { DescribeTableDetailed } from '../use-cases/table-details.ts';
import { QuerySlots, realTimer, SlotWaits } from '../use-cases/query-slots.ts';
import { ExecuteQuery, ExecuteStatement, ExplainQuery, FetchMore } from '../use-cases/statements.ts';
import { ResultPages } from '../use-cases/pages.ts';
import { cursorKey, JweCursorCodec } from '../adapters/cursor/jwe-cursor-codec.ts';
import { DEFAULT_MAX_RESPONSE_BYTES, TrinoConnection, TrinoQueryEngine } from '../adapters/trino/trino-query-engine.ts';
import { Inflight } from '../adapters/lifecycle/inflight.ts';
import { UseCases } from '../adapters/mcp/tools.ts';
import { McpSettings, TrinoMcpServer } from '../adapters/mcp/trino-mcp-server.ts';
import { CallObserver } from '../adapters/mcp/call-observer.ts';
import type { Config } from './config.ts';
import type { Telemetry } from './telemetry.ts';
import type { TrinoAccess } from './trino-access.ts';

export const AppConfig = Symbol.for('AppConfig');
/** The Trino credential and TLS material prepared at start (src/app/trino-access.ts). */
export const TrinoAccessToken = Symbol.for('TrinoAccess');
/** The query policy: a domain object, bound here with a factory (the domain stays free of inversify). */
export const Policy = Symbol.for('QueryPolicy');

export function productVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Trino engine adapter: connection settings from the config. */
export const trinoModule = new ContainerModule(({ bind }) => {
  bind<TrinoConnection>(TrinoConnection)
    .toDynamicValue((ctx) => {
      const config = ctx.get<Config>(AppConfig);
      return {
        server: config.trino.server,
        user: config.trino.user,
        password: config.trino.password,
        verifyCertificates: config.trino.verifyCertificates,
        source: `trino-mcp/${productVersion()}`,
        impersonation: config.impersonation,
        // A budget above the default bound raises it: a page must be readable to fill the budget.
        maxResponseBytes: Math.max(DEFAULT_MAX_RESPONSE_BYTES, config.limits.maxResultBytes),
        // Every query slot keeps its connection, and cancels find one free besides.
        connections: config.limits.maxConcurrentQueries + 4,
        compression: config.trino.compression,
        // Built by prepareTrinoAccess at start (files read, token endpoint discovered).
        ...ctx.get<TrinoAccess | undefined>(TrinoAccessToken, { optional: true }),
      };
    })
    .inSingletonScope();
  bind<QueryEngine>(QueryEngine).to(TrinoQueryEngine).inSingletonScope();
});

/**
 * Domain rules and use-cases. They live in src/domain and src/use-cases, which stay free
 * of inversify: they are bound here with factories instead of decorators.
 */
export const useCaseModule = new ContainerModule(({ bind }) => {
  bind(Access)
    .toDynamicValue((ctx) => {
      const config = ctx.get<Config>(AppConfig);
      // Scopes exist only on tokens, so only HTTP with OAuth can require them; over stdio the operator is the caller.
      const oauth = config.transport === 'http' ? config.oauth : undefined;
      return new Access({ allowWrites: config.allowWriteQueries, requiredScopes: oauth?.requiredScopes ?? [], writeScope: oauth?.writeScope });
    })
    .inSingletonScope();
  bind<QueryPolicy>(Policy)
    .toDynamicValue((ctx) => {
      const config = ctx.get<Config>(AppConfig);
      const { allowPassthrough, allowedTableFunctions, allowlist, defaults } = config;
      return new SqlQueryPolicy({ allowPassthrough, allowedTableFunctions, allowlist, defaults }, ctx.get(Access));
    })
    .inSingletonScope();
  // One for the process: the caps hold across every transport, request and batch.
  bind(QuerySlots)
    .toDynamicValue((ctx) => {
      const { limits } = ctx.get<Config>(AppConfig);
      return new QuerySlots({
        maxConcurrent: limits.maxConcurrentQueries,
        maxConcurrentPerUser: limits.maxConcurrentQueriesPerUser,
        maxQueued: limits.maxQueuedQueries,
        queueTimeoutMs: limits.queueTimeoutMs,
      }, realTimer, ctx.get<SlotWaits>(SlotWaits, { optional: true }));
    })
    .inSingletonScope();
  // One for the process: it bounds the results this process keeps open across all callers.
  bind(ResultPages)
    .toDynamicValue((ctx) => {
      const config = ctx.get<Config>(AppConfig);
      const codec = new JweCursorCodec({ secret: config.results.cursorSecret, context: config.trino.server });
      return new ResultPages(ctx.get<QueryEngine>(QueryEngine), codec, {
        ttlMs: config.results.cursorTtlMs,
        // Open results hold Trino's work like running queries do: the same per-user bound.
        maxOpenPerUser: config.limits.maxConcurrentQueriesPerUser,
      });
    })
    .inSingletonScope();
  bind<UseCases>(UseCases)
    .toDynamicValue((ctx) => {
      const config = ctx.get<Config>(AppConfig);
      const settings: QuerySettings = {
        maxRows: config.maxRows,
        maxResultBytes: config.limits.maxResultBytes,
        maxValueBytes: config.limits.maxValueBytes,
        timeoutMs: config.queryTimeoutMs,
        defaults: config.defaults,
      };
      const deps = [ctx.get<QueryEngine>(QueryEngine), settings, ctx.get<QueryPolicy>(Policy), ctx.get(QuerySlots)] as const;
      const pages = ctx.get(ResultPages);
      return {
        listCatalogs: new ListCatalogs(...deps),
        listSchemas: new ListSchemas(...deps),
        listTables: new ListTables(...deps),
        describeTable: new DescribeTableDetailed(...deps),
        searchTables: new SearchTables(...deps),
        browseObjects: new BrowseObjects(...deps),
        completeNames: new CompleteNames(...deps),
        executeQuery: new ExecuteQuery(...deps, pages),
        executeStatement: new ExecuteStatement(...deps),
        explainQuery: new ExplainQuery(...deps),
        fetchMore: new FetchMore(...deps, pages),
      };
    })
    .inSingletonScope();
});

/** MCP edge, and the in-flight work both transports drain at shutdown. */
export const mcpModule = new ContainerModule(({ bind }) => {
  bind<McpSettings>(McpSettings).toDynamicValue((ctx) => {
    const config = ctx.get<Config>(AppConfig);
    return {
      maxRows: config.maxRows,
      maxResultBytes: config.limits.maxResultBytes,
      maxValueBytes: config.limits.maxValueBytes,
      timeoutMs: config.queryTimeoutMs,
      markUntrusted: config.results.markUntrusted,
      cursorTtlMs: config.results.cursorTtlMs,
      confirmation: {
        mode: config.results.writeConfirmation,
        stateKey: cursorKey({ secret: config.results.cursorSecret, context: `write confirmation ${config.trino.server}` }),
      },
      progressIntervalMs: config.progressIntervalMs,
      name: 'trino-mcp',
      version: productVersion(),
    };
  });
  bind(Inflight).toDynamicValue(() => new Inflight()).inSingletonScope();
  bind(TrinoMcpServer).toSelf().inSingletonScope();
});

/** The composition root: every binding of the application. */
export function buildContainer(config: Config, logger: Logger, verifier?: TokenVerifier, trinoAccess?: TrinoAccess, telemetry?: Telemetry): Container {
  const container = new Container();
  container.bind<Config>(AppConfig).toConstantValue(config);
  container.bind<Logger>(Logger).toConstantValue(logger);
  // Set up before the container (OIDC discovery is asynchronous), bound here so that
  // everything that needs it finds it in one place.
  if (verifier) container.bind<TokenVerifier>(TokenVerifier).toConstantValue(verifier);
  if (trinoAccess) container.bind<TrinoAccess>(TrinoAccessToken).toConstantValue(trinoAccess);
  if (telemetry) {
    container.bind<CallObserver>(CallObserver).toConstantValue(telemetry.callObserver);
    if (telemetry.slotWaits) container.bind<SlotWaits>(SlotWaits).toConstantValue(telemetry.slotWaits);
    container.onActivation<QueryEngine>(QueryEngine, (_ctx, engine) => telemetry.wrapEngine(engine));
  }
  container.load(trinoModule, useCaseModule, mcpModule);
  return container;
}
