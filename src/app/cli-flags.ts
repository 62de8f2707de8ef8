import { Option, type Command } from 'commander';
import { envSchema } from './env-schema.ts';

/** One command-line flag per environment variable of the schema: derived, never listed. */
export interface EnvFlag {
  /** The variable, e.g. `TRINO_HOST`. */
  readonly variable: string;
  /** The long flag without dashes, e.g. `trino-host`; MCP_ variables drop the prefix (`--port`). */
  readonly flag: string;
  /** What the schema fills in when the variable is unset, as text; undefined when nothing is. */
  readonly defaultValue?: string | undefined;
  /** A password, secret or token: a flag shows in the process list, the variable does not. */
  readonly secret: boolean;
}

/** Flags the CLI defines itself: a variable must not take one of them. */
const RESERVED = new Set(['help', 'version', 'sub', 'scope', 'ttl']);

const SECRET_NAME = /PASSWORD|SECRET|TOKEN/;

/** `MCP_PORT` → `port`, `TRINO_HOST` → `trino-host`. */
export function flagOf(variable: string): string {
  return variable.replace(/^MCP_/, '').toLowerCase().replaceAll('_', '-');
}

function defaultOf(schema: unknown): string | undefined {
  const def = (schema as { def?: { type?: string; defaultValue?: unknown } }).def;
  if (def?.type !== 'default') return undefined;
  const value = typeof def.defaultValue === 'function' ? (def.defaultValue as () => unknown)() : def.defaultValue;
  return value === undefined ? undefined : String(value);
}

/** The flags of every variable in env-schema.ts, in its order. Throws if two would share a name. */
export function envFlags(shape: Record<string, unknown> = envSchema.shape): EnvFlag[] {
  const seen = new Map<string, string>();
  return Object.entries(shape).map(([variable, schema]) => {
    const flag = flagOf(variable);
    const clash = seen.get(flag) ?? (RESERVED.has(flag) ? 'a built-in flag' : undefined);
    if (clash) throw new Error(`--${flag} would stand for both ${variable} and ${clash}`);
    seen.set(flag, variable);
    return { variable, flag, defaultValue: defaultOf(schema), secret: SECRET_NAME.test(variable) };
  });
}

/** Adds the flag of every variable to `command`; the help names the variable and its default. */
export function addEnvFlags(command: Command, flags: readonly EnvFlag[] = envFlags()): Command {
  for (const f of flags) {
    const help = [`sets ${f.variable}`];
    if (f.defaultValue !== undefined) help.push(`default: ${f.defaultValue}`);
    if (f.secret) help.push(`prefer the variable: a flag is visible in the process list`);
    // No commander default or env(): a flag only overrides what the environment gives.
    command.addOption(new Option(`--${f.flag} <value>`, help.join('; ')));
  }
  return command;
}

/**
 * The environment the configuration is read from: the process environment, with every
 * flag given on the command line in place of its variable (the flag wins). Flags given
 * before the command (`trino-mcp --port 9000 serve`) count too; the command's own win.
 */
export function envWithFlags(
  command: Command,
  env: Record<string, string | undefined>,
  flags: readonly EnvFlag[] = envFlags(),
): Record<string, string | undefined> {
  const out = { ...env };
  const chain: Command[] = [];
  for (let c: Command | null = command; c; c = c.parent) chain.unshift(c);
  for (const c of chain) {
    const given = c.opts<Record<string, unknown>>();
    for (const f of flags) {
      const key = new Option(`--${f.flag} <value>`).attributeName();
      if (c.getOptionValueSource(key) === 'cli') out[f.variable] = String(given[key]);
    }
  }
  return out;
}
