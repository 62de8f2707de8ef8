#!/usr/bin/env node
import 'reflect-metadata';
import { StderrLogger } from '../adapters/log/stderr-logger.ts';
import { serveOverStdio } from '../adapters/stdio/serve.ts';
import { TrinoMcpServer } from '../adapters/mcp/trino-mcp-server.ts';
import { loadConfig, redactedConfig } from './config.ts';
import { buildContainer, productVersion } from './container.ts';

function main(): void {
  const loaded = loadConfig(process.env);
  if (!loaded.ok) {
    for (const line of loaded.errors) process.stderr.write(`trino-mcp: invalid configuration: ${line}\n`);
    process.exit(2);
  }
  const config = loaded.config;
  const log = new StderrLogger();
  log.info('starting trino-mcp', { version: productVersion(), config: redactedConfig(config) });
  if (config.allowWriteQueries) {
    log.warn('TRINO_ALLOW_WRITE_QUERIES=true: statements that write data or change state will be run');
  }
  if (!config.trino.verifyCertificates) {
    log.warn('TRINO_SSL_INSECURE=true: the Trino server certificate is not verified');
  }
  const container = buildContainer(config, log);
  const servers = container.get(TrinoMcpServer);
  const principal = { subject: config.trino.user, scopes: [], via: 'stdio' };
  const handle = serveOverStdio(servers, principal, log);
  const stop = (signal: string) => {
    log.info('stopping', { signal });
    // Closing aborts in-flight requests, which cancels their Trino queries.
    void handle.close().finally(() => setTimeout(() => process.exit(0), 200).unref());
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main();
