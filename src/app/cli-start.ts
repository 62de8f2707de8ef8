type Env = Record<string, string | undefined>;

export interface CliIo {
  readonly env: Env;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly exit: (code: number) => never;
}

export const defaultIo: CliIo = {
  env: process.env,
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  exit: (code) => process.exit(code),
};

/**
 * How the process starts: with no argument at all, as MCP clients start a stdio server, the
 * default command with no flag is the environment as it is, served at once; with any
 * argument, the command line (cli.ts, on commander) parses it. The parser, one option per
 * variable for each command, and its module were about a tenth of the time to `initialize`.
 */
export function startCli(argv: readonly string[], serve: (env: Env) => Promise<void>, io: CliIo = defaultIo): void {
  const failed = (err: unknown) => {
    io.err(`trino-mcp: ${(err as Error).message}\n`);
    io.exit(1);
  };
  if (argv.length > 2) import('./cli.ts').then(({ runCli }) => runCli(argv, serve, io), failed);
  else serve({ ...io.env }).catch(failed);
}
