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
