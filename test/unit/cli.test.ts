import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildCli, type CliIo } from '../../src/app/cli.ts';
import { startCli } from '../../src/app/cli-start.ts';
import { envFlags, flagOf } from '../../src/app/cli-flags.ts';
import { envSchema } from '../../src/app/env-schema.ts';
import { setupAuth } from '../../src/app/http-entry.ts';
import { productVersion } from '../../src/app/container.ts';
import { CapturingLogger } from '../fakes/capturing-logger.ts';
import { ok } from './support/config.ts';

const SECRET = 'a-local-test-secret-of-32-bytes-or-more';

class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** Runs the CLI in-process: what it printed, how it exited, and the environment `serve` got. */
async function run(args: string[], env: Record<string, string | undefined> = {}) {
  let out = '';
  let err = '';
  let served: Record<string, string | undefined> | undefined;
  let code: number | undefined;
  const io: CliIo = {
    env,
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    exit: (c) => {
      throw new Exit(c);
    },
  };
  const cli = buildCli(async (e) => void (served = e), io);
  try {
    await cli.parseAsync(['node', 'trino-mcp', ...args]);
  } catch (e) {
    if (e instanceof Exit) code = e.code;
    else if ((e as { exitCode?: number }).exitCode !== undefined) code = (e as { exitCode: number }).exitCode;
    else throw e;
  }
  return { out, err, served, code };
}

describe('flags from the config schema', () => {
  it('--help of serve lists a flag for every variable of env-schema.ts, with its variable and default', async () => {
    const { out } = await run(['serve', '--help']);
    for (const [variable, schema] of Object.entries(envSchema.shape)) {
      const line = out.split('\n').find((l) => l.trimStart().startsWith(`--${flagOf(variable)} `));
      expect(line, variable).toBeDefined();
      expect(line).toContain(variable);
      const parsed = (schema as z.ZodType).safeParse(undefined);
      if (parsed.success && parsed.data !== undefined) expect(line).toContain(`default: ${String(parsed.data)}`);
    }
  });

  it('picks up a variable added to the schema, without a second list', () => {
    const flags = envFlags({ ...envSchema.shape, TRINO_AUTH: z.string().default('none'), TRINO_SSL_TRUSTSTORE_PASSWORD: z.string().optional() });
    expect(flags.find((f) => f.variable === 'TRINO_AUTH')).toEqual({ variable: 'TRINO_AUTH', flag: 'trino-auth', defaultValue: 'none', secret: false });
    expect(flags.find((f) => f.variable === 'TRINO_SSL_TRUSTSTORE_PASSWORD')).toMatchObject({ flag: 'trino-ssl-truststore-password', secret: true });
  });

  it('refuses two variables that would share a flag, or one that takes a built-in flag', () => {
    expect(() => envFlags({ MCP_TRINO_HOST: z.string(), TRINO_HOST: z.string() })).toThrow(/--trino-host/);
    expect(() => envFlags({ MCP_HELP: z.string() })).toThrow(/--help/);
  });

  it('a flag wins over its variable; variables without a flag pass through', async () => {
    const { served } = await run(['serve', '--transport', 'http', '--port', '9999', '--trino-user', 'svc'], {
      MCP_PORT: '1234',
      TRINO_USER: 'from-env',
      TRINO_HOST: 'trino.example.com',
    });
    expect(served).toMatchObject({ MCP_TRANSPORT: 'http', MCP_PORT: '9999', TRINO_USER: 'svc', TRINO_HOST: 'trino.example.com' });
  });

  it('flags before the command count, and the command\'s own win', async () => {
    const { served } = await run(['--port', '9000', '--trino-user', 'root-flag', 'serve', '--trino-user', 'svc']);
    expect(served).toMatchObject({ MCP_PORT: '9000', TRINO_USER: 'svc' });
  });

  it('without a command serves from the environment (stdio unless configured otherwise)', async () => {
    const { served } = await run([], { TRINO_HOST: 'h' });
    expect(served).toEqual({ TRINO_HOST: 'h' });
  });

  it('with no argument at all, the start serves the environment as the parser would, and a failed start exits 1 naming it', async () => {
    const env = { TRINO_HOST: 'h', MCP_PORT: '9000' };
    const viaParser = await run([], env);
    const direct = await new Promise<Record<string, string | undefined>>((resolve) => startCli(['node', 'trino-mcp'], async (e) => resolve(e), { env, out: () => undefined, err: () => undefined, exit: () => undefined as never }));
    expect(direct).toEqual(viaParser.served);
    expect(direct).not.toBe(env); // a copy: the server's start cannot change the process environment

    let err = '';
    const code = await new Promise<number>((resolve) =>
      startCli(['node', 'trino-mcp'], () => Promise.reject(new Error('boom at start')), { env, out: () => undefined, err: (t) => void (err += t), exit: (c) => resolve(c) as never }),
    );
    expect(code).toBe(1);
    expect(err).toBe('trino-mcp: boom at start\n');
  });

  it('with any argument, the start hands the command line to the parser', async () => {
    let out = '';
    const code = await new Promise<number>((resolve) =>
      startCli(['node', 'trino-mcp', '--version'], () => Promise.reject(new Error('must not serve')), { env: {}, out: (t) => void (out += t), err: () => undefined, exit: (c) => resolve(c) as never }),
    );
    expect(code).toBe(0);
    expect(out.trim()).toBe(productVersion());
    const served = await new Promise<Record<string, string | undefined>>((resolve) =>
      startCli(['node', 'trino-mcp', 'serve', '--trino-host', 'flag-host'], async (e) => resolve(e), { env: { TRINO_HOST: 'h' }, out: () => undefined, err: () => undefined, exit: () => undefined as never }),
    );
    expect(served['TRINO_HOST']).toBe('flag-host');
  });

  it('an unknown flag or command is a usage error (exit 2 from runCli), not a start', async () => {
    const flag = await run(['serve', '--no-such-flag', 'x']);
    expect(flag.served).toBeUndefined();
    expect(flag.err).toContain('--no-such-flag');
    const command = await run(['srve']);
    expect(command.served).toBeUndefined();
    expect(command.code).not.toBe(0);
  });

  it('--version prints the package version', async () => {
    const { out, code } = await run(['--version']);
    expect(out.trim()).toBe(productVersion());
    expect(code).toBe(0);
  });
});

describe('trino-mcp token', () => {
  const hmacEnv = { OAUTH_ENABLED: 'true', JWT_SECRET: SECRET, OIDC_AUDIENCE: 'urn:trino-mcp' };

  it('mints a token the configured server accepts, with the subject and scopes asked for', async () => {
    const { out, code } = await run(['token', '--sub', 'alice', '--scope', 'trino:read trino:write', '--ttl', '2h'], hmacEnv);
    expect(code).toBeUndefined();
    const token = out.trim();
    const claims = decodeJwt(token);
    expect(claims.exp! - claims.iat!).toBe(7200);
    const auth = await setupAuth(ok(hmacEnv).oauth!, new CapturingLogger());
    await expect(auth.verifier.verify(token)).resolves.toMatchObject({ subject: 'alice', scopes: ['trino:read', 'trino:write'] });
  });

  it('uses the configured issuer and the default audience of the resource URL', async () => {
    const env = { OAUTH_ENABLED: 'true', JWT_SECRET: SECRET, OAUTH_PROVIDER: 'hmac', OIDC_ISSUER: 'https://issuer.example', MCP_PORT: '9100' };
    const claims = decodeJwt((await run(['token', '--sub', 'bob'], env)).out.trim());
    expect(claims).toMatchObject({ iss: 'https://issuer.example', aud: 'http://127.0.0.1:9100/mcp', sub: 'bob' });
    const auth = await setupAuth(ok(env).oauth!, new CapturingLogger());
    await expect(auth.verifier.verify((await run(['token', '--sub', 'bob'], env)).out.trim())).resolves.toMatchObject({ subject: 'bob' });
  });

  it.each([
    ['no JWT_SECRET', { OAUTH_ENABLED: 'true', OIDC_ISSUER: 'https://idp.example' }, ['--sub', 'a'], /JWT_SECRET/],
    ['OAuth off', { JWT_SECRET: SECRET }, ['--sub', 'a'], /OAUTH_ENABLED/],
    ['a short secret', { OAUTH_ENABLED: 'true', JWT_SECRET: 'short' }, ['--sub', 'a'], /JWT_SECRET/],
    ['a negative ttl', hmacEnv, ['--sub', 'a', '--ttl', '-1h'], /--ttl/],
    ['a ttl in the past', hmacEnv, ['--sub', 'a', '--ttl', '1h ago'], /--ttl/],
    ['a ttl that is no duration', hmacEnv, ['--sub', 'a', '--ttl', 'forever'], /--ttl/],
    ['an empty subject', hmacEnv, ['--sub', ' '], /--sub/],
  ])('refuses with %s: one line, exit 2, no token', async (_what, env, args, message) => {
    const r = await run(['token', ...args], env);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(message);
  });

  it('refuses without --sub', async () => {
    const r = await run(['token'], hmacEnv);
    expect(r.out).toBe('');
    expect(r.err).toContain('--sub');
  });
});

describe('trino-mcp check without Trino', () => {
  it('an invalid configuration: one FAIL line per bad variable, exit 1', async () => {
    const r = await run(['check', '--trino-port', 'x', '--max-batch-size', '0']);
    expect(r.code).toBe(1);
    const lines = r.out.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => l.startsWith('FAIL configuration:'))).toBe(true);
    expect(r.out).toContain('TRINO_PORT');
    expect(r.out).toContain('MCP_MAX_BATCH_SIZE');
  });

  it('Trino not answering: FAIL trino with what to do, exit 1', async () => {
    const r = await run(['check', '--trino-host', '127.0.0.1', '--trino-port', '1', '--trino-ssl', 'false']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^OK {3}configuration: /m);
    expect(r.out).toMatch(/^FAIL trino: .*→ check TRINO_HOST/m);
  });
});
