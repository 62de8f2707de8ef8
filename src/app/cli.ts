import { Command, CommanderError } from 'commander';
import { addEnvFlags, envWithFlags } from './cli-flags.ts';
import { loadConfig } from './config.ts';
import { productVersion } from './container.ts';
import { defaultIo, type CliIo } from './cli-start.ts';

type Env = Record<string, string | undefined>;

export type { CliIo } from './cli-start.ts';

const ENV_HELP =
  '\nEvery flag sets the environment variable it names (a flag wins over the variable); ' +
  'unset variables take the default shown.\n';

/**
 * The command line: `trino-mcp` and `trino-mcp serve` run the server (stdio unless
 * --transport http), `check` tests the configuration against Trino and the identity
 * provider, `token` mints an HMAC token for local testing. `serve` is the environment with
 * the flags applied; main.ts passes the server's start.
 */
export function buildCli(serve: (env: Env) => Promise<void>, io: CliIo = defaultIo): Command {
  const program = new Command('trino-mcp')
    .description('MCP server that lets AI assistants explore and query a Trino cluster safely')
    .version(productVersion(), '-v, --version')
    .enablePositionalOptions()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride()
    .addHelpText('after', ENV_HELP);

  addEnvFlags(program).action(async (_opts, cmd: Command) => serve(envWithFlags(cmd, io.env)));

  addEnvFlags(
    program.command('serve').description('run the server: over stdio, or over HTTP with --transport http').addHelpText('after', ENV_HELP),
  ).action(async (_opts, cmd: Command) => serve(envWithFlags(cmd, io.env)));

  addEnvFlags(
    program
      .command('check')
      .description('check the configuration, reach Trino with its credentials and, with OAuth, the identity provider; exit 1 on any failure')
      .addHelpText('after', ENV_HELP),
  ).action(async (_opts, cmd: Command) => {
    // The subcommands' modules are loaded when they run: serving over stdio needs neither.
    const { formatCheck, runChecks } = await import('./check.ts');
    const results = await runChecks(envWithFlags(cmd, io.env));
    for (const r of results) io.out(`${formatCheck(r)}\n`);
    io.exit(results.every((r) => r.ok) ? 0 : 1);
  });

  addEnvFlags(
    program
      .command('token')
      .description('print an HMAC token signed with JWT_SECRET, for the configured audience and issuer (local testing only)')
      .requiredOption('--sub <subject>', 'the token subject (the user)')
      .option('--scope <scopes>', 'space-separated scopes, e.g. "trino:read trino:write"')
      .option('--ttl <duration>', 'lifetime, e.g. 1h, 30m, 3600 (seconds)', '1h')
      .addHelpText('after', ENV_HELP),
  ).action(async (opts: { sub: string; scope?: string; ttl: string }, cmd: Command) => {
    const loaded = loadConfig(envWithFlags(cmd, io.env));
    if (!loaded.ok) {
      for (const line of loaded.errors) io.err(`trino-mcp: invalid configuration: ${line}\n`);
      io.exit(2);
    }
    const { mintToken, TokenRefused } = await import('./token.ts');
    try {
      io.out(`${await mintToken(loaded.config, opts)}\n`);
    } catch (err) {
      if (!(err instanceof TokenRefused)) throw err;
      io.err(`trino-mcp token: ${err.message}\n`);
      io.exit(2);
    }
  });
  return program;
}

/** Parses `argv` and runs the command; usage errors exit 2, --help and --version 0. */
export function runCli(argv: readonly string[], serve: (env: Env) => Promise<void>, io: CliIo = defaultIo): void {
  buildCli(serve, io)
    .parseAsync([...argv])
    .catch((err: unknown) => {
      if (err instanceof CommanderError) io.exit(err.exitCode === 0 ? 0 : 2);
      io.err(`trino-mcp: ${(err as Error).message}\n`);
      io.exit(1);
    });
}
