import 'reflect-metadata';
import { PinoLogger } from '../adapters/log/pino-logger.ts';
import { serveOverStdio } from '../adapters/stdio/serve.ts';
import { TrinoMcpServer } from '../adapters/mcp/trino-mcp-server.ts';
import type { Logger } from '../ports/logger.ts';
import { Inflight } from '../adapters/lifecycle/inflight.ts';
import { RateLimiter } from '../use-cases/rate-limiter.ts';
import { loadConfig, type Config } from './config.ts';
import { startCli } from './cli-start.ts';
import { buildContainer, productVersion } from './container.ts';
import { startupWarnings } from './startup-warnings.ts';
import { prepareTrinoAccess, type TrinoAccess } from './trino-access.ts';

function fail(line: string, status: number): never {
  process.stderr.write(`trino-mcp: ${line}\n`);
  process.exit(status);
}

async function serveStdio(config: Config, log: Logger, trino: TrinoAccess): Promise<void> {
  // Loaded only when the configuration turns metrics or traces on (see telemetry.ts).
  const { startTelemetry } = await import('./telemetry.ts');
  const telemetry = await startTelemetry(config, productVersion());
  await telemetry.listen(log);
  const container = buildContainer(config, log, undefined, trino, telemetry);
  const principal = { subject: config.trino.user, scopes: [], via: 'stdio' };
  const servers = container.get(TrinoMcpServer);
  // One principal over stdio: one bucket.
  const rateLimit = config.rateLimit ? new RateLimiter({ ...config.rateLimit, maxKeys: 1 }) : undefined;
  const handle = serveOverStdio(servers, principal, log, rateLimit);
  const inflight = container.get(Inflight);
  const stop = (signal: string) => {
    log.info('stopping', { signal });
    // Over stdio the signal comes from the client that would read the answers, and it is
    // going away: no grace period. Aborting the calls cancels their Trino queries; the
    // shared drain waits for that before the process exits.
    void inflight
      .shutdown(0, log)
      .then(() => handle.close())
      .then(() => telemetry.shutdown())
      .finally(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

async function serveHttp(config: Config, log: Logger, trino: TrinoAccess): Promise<void> {
  // Loaded only for HTTP: koa, jose and the HTTP adapters would double the start-up of stdio.
  const { setupAuth, startHttp } = await import('./http-entry.ts');
  const { startTelemetry } = await import('./telemetry.ts');
  const telemetry = await startTelemetry(config, productVersion());
  const metrics = telemetry.metrics;
  const auth = config.oauth ? await setupAuth(config.oauth, log, metrics ? (result) => metrics.jwksFetch(result) : undefined) : undefined;
  const container = buildContainer(config, log, auth?.verifier, trino, telemetry);
  if (!config.oauth && !config.http.loopback) {
    log.warn('MCP_ALLOW_UNAUTHENTICATED=true: serving without authentication on a non-loopback address', { host: config.http.host });
  }
  const http = await startHttp(config, container, log, auth, telemetry);
  await telemetry.listen(log);
  log.info('listening', { url: http.url, resource: config.http.resourceUrl, oauth: Boolean(config.oauth) });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping: no new requests; waiting for those in flight', { signal, graceMs: config.http.shutdownGraceMs });
    void http
      .stop()
      .then(() => telemetry.shutdown())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          log.error('shutdown failed', { error: (err as Error).message });
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

/** Serves over the transport the configuration names; `env` is the environment with the command-line flags applied. */
export async function serve(env: Record<string, string | undefined>): Promise<void> {
  const loaded = loadConfig(env);
  if (!loaded.ok) {
    for (const line of loaded.errors) process.stderr.write(`trino-mcp: invalid configuration: ${line}\n`);
    process.exit(2);
  }
  const config = loaded.config;
  const log = new PinoLogger({ level: config.logLevel });
  log.info('starting trino-mcp', { version: productVersion(), config });
  for (const w of startupWarnings(config)) log.warn(w.message, w.fields);
  const trino = await prepareTrinoAccess(config, log);
  if (config.transport === 'stdio') await serveStdio(config, log, trino);
  else await serveHttp(config, log, trino);
}

startCli(process.argv, (env) =>
  serve(env).catch((err: unknown) => {
    // By name: the class lives in http-entry, which only HTTP loads.
    if ((err as Error | undefined)?.name === 'StartupError') fail((err as Error).message, 2);
    fail(`cannot start: ${(err as Error).message}`, 1);
  }),
);
