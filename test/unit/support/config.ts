import { PinoLogger } from '../../../src/adapters/log/pino-logger.ts';
import { loadConfig, type Config } from '../../../src/app/config.ts';

/** The configuration of `env`, which must be valid. */
export function ok(env: Record<string, string | undefined>): Config {
  const result = loadConfig(env);
  if (!result.ok) throw new Error(`expected a valid configuration, got: ${result.errors.join('; ')}`);
  return result.config;
}

/** The error lines of `env`, which must be invalid. */
export function errors(env: Record<string, string | undefined>): string[] {
  const result = loadConfig(env);
  if (result.ok) throw new Error(`expected configuration errors, got ${JSON.stringify(result.config)}`);
  return result.errors;
}

/** A parsed log line, read field by field by the tests. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON of any shape
type LogLine = { msg: string; config: any };

/** The line the server logs at start for this configuration (main.ts logs the config as is; the logger redacts). */
export function startupLogLine(config: Config): LogLine {
  const lines: string[] = [];
  new PinoLogger({ write: (l) => lines.push(l) }).info('starting trino-mcp', { config });
  return JSON.parse(lines[0]!) as LogLine;
}
