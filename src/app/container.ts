import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { Container, ContainerModule } from 'inversify';
import {
  DescribeTable,
  ExecuteQuery,
  ExecuteStatement,
  ExplainQuery,
  ListCatalogs,
  ListSchemas,
  ListTables,
  type QuerySettings,
} from '../domain/use-cases.ts';
import { QueryEngine } from '../ports/query-engine.ts';
import { PolicySettings, QueryPolicy } from '../ports/query-policy.ts';
import { Logger } from '../ports/logger.ts';
import { TokenVerifier } from '../ports/token-verifier.ts';
import { TrinoConnection, TrinoQueryEngine } from '../adapters/trino/trino-query-engine.ts';
import { SqlQueryPolicy } from '../adapters/policy/sql-query-policy.ts';
import { McpSettings, TrinoMcpServer } from '../adapters/mcp/trino-mcp-server.ts';
import type { Config } from './config.ts';

export const AppConfig = Symbol.for('AppConfig');

export function productVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function querySettings(config: Config): QuerySettings {
  return { maxRows: config.maxRows, timeoutMs: config.queryTimeoutMs, defaults: config.defaults };
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
      };
    })
    .inSingletonScope();
  bind<QueryEngine>(QueryEngine).to(TrinoQueryEngine).inSingletonScope();
});

/** Query policy adapter. */
export const policyModule = new ContainerModule(({ bind }) => {
  bind<PolicySettings>(PolicySettings).toDynamicValue((ctx) => {
    const config = ctx.get<Config>(AppConfig);
    return {
      allowWrites: config.allowWriteQueries,
      allowPassthrough: config.allowPassthrough,
      allowlist: config.allowlist,
      timeoutMs: config.queryTimeoutMs,
      defaults: config.defaults,
    };
  });
  bind<QueryPolicy>(QueryPolicy).to(SqlQueryPolicy).inSingletonScope();
});

/**
 * Use-cases live in src/domain, which stays free of inversify: they are bound here
 * with factories instead of decorators.
 */
export const useCaseModule = new ContainerModule(({ bind }) => {
  const settings = (ctx: { get<T>(id: symbol): T }) => querySettings(ctx.get<Config>(AppConfig));
  bind(ListCatalogs).toDynamicValue((ctx) => new ListCatalogs(ctx.get(QueryEngine), settings(ctx), ctx.get(QueryPolicy))).inSingletonScope();
  bind(ListSchemas).toDynamicValue((ctx) => new ListSchemas(ctx.get(QueryEngine), settings(ctx), ctx.get(QueryPolicy))).inSingletonScope();
  bind(ListTables).toDynamicValue((ctx) => new ListTables(ctx.get(QueryEngine), settings(ctx), ctx.get(QueryPolicy))).inSingletonScope();
  bind(DescribeTable).toDynamicValue((ctx) => new DescribeTable(ctx.get(QueryEngine), settings(ctx), ctx.get(QueryPolicy))).inSingletonScope();
  bind(ExecuteQuery)
    .toDynamicValue((ctx) => new ExecuteQuery(ctx.get(QueryEngine), settings(ctx), ctx.get(QueryPolicy)))
    .inSingletonScope();
  bind(ExecuteStatement)
    .toDynamicValue((ctx) => new ExecuteStatement(ctx.get(QueryEngine), settings(ctx), ctx.get(QueryPolicy)))
    .inSingletonScope();
  bind(ExplainQuery)
    .toDynamicValue((ctx) => new ExplainQuery(ctx.get(QueryEngine), settings(ctx), ctx.get(QueryPolicy)))
    .inSingletonScope();
});

/** MCP edge. */
export const mcpModule = new ContainerModule(({ bind }) => {
  bind<McpSettings>(McpSettings).toDynamicValue((ctx) => {
    const config = ctx.get<Config>(AppConfig);
    return { ...querySettings(config), allowWrites: config.allowWriteQueries, name: 'trino-mcp', version: productVersion() };
  });
  bind(TrinoMcpServer).toSelf().inSingletonScope();
});

/** The composition root: every binding of the application. */
export function buildContainer(config: Config, logger: Logger, verifier?: TokenVerifier): Container {
  const container = new Container();
  container.bind<Config>(AppConfig).toConstantValue(config);
  container.bind<Logger>(Logger).toConstantValue(logger);
  // Set up before the container (OIDC discovery is asynchronous), bound here so that
  // everything that needs it finds it in one place.
  if (verifier) container.bind<TokenVerifier>(TokenVerifier).toConstantValue(verifier);
  container.load(trinoModule, policyModule, useCaseModule, mcpModule);
  return container;
}
