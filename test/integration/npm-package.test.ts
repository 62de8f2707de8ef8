/**
 * The package as a newcomer gets it: `npm pack`, installed into an empty directory, run
 * from there — `--help`, `check` against the test Trino, a stdio session, and the path of
 * the quick start: check → serve (HTTP, HMAC tokens) → token → MCP Inspector CLI tools/list.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../harness/trino-server.ts';
import { connectStdioCommand, GENERATIONS } from '../support/mcp-clients.ts';
import { runProcess, serverEnv } from '../support/processes.ts';
import { poll } from '../support/wait.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const INSPECTOR_CLI = fileURLToPath(new URL('../../node_modules/@modelcontextprotocol/inspector-cli/build/index.js', import.meta.url));
const SECRET = 'newcomer-secret-of-at-least-32-bytes';
/** This Node.js first on PATH: the installed bin starts with `#!/usr/bin/env node`. */
const PATH = `${dirname(process.execPath)}${delimiter}${process.env['PATH'] ?? ''}`;

let work: string;
let bin: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'trino-mcp-pack-'));
  const env = { PATH, HOME: process.env['HOME'] ?? work };
  // The integration run builds first (npm test): pack what was built instead of building again.
  const pack = await runProcess('npm', ['pack', '--ignore-scripts', '--pack-destination', work], { cwd: ROOT, env, timeoutMs: 120_000 });
  expect(pack.code, pack.stderr).toBe(0);
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
  expect(tarball).toBeDefined();
  const app = join(work, 'app');
  // From npm's cache where it holds the packages (npm ci filled it), the registry otherwise.
  const install = await runProcess(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--omit=dev', '--prefix', app, join(work, tarball!)],
    { cwd: work, env, timeoutMs: 300_000 },
  );
  expect(install.code, install.stderr).toBe(0);
  bin = join(app, 'node_modules', '.bin', 'trino-mcp');
}, 420_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The installed command, run with the test Trino's settings and `env`. */
function trinoMcp(args: string[], env: Record<string, string> = {}) {
  return runProcess(bin, args, { cwd: work, env: { ...serverEnv(), PATH, ...env }, timeoutMs: 60_000 });
}

describe('the installed package', () => {
  it('--help lists the commands and the flags with their variables', async () => {
    const r = await trinoMcp(['--help']);
    expect(r.code, r.stderr).toBe(0);
    for (const command of ['serve', 'check', 'token']) expect(r.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
    expect(r.stdout).toMatch(/--trino-host <value>\s+sets TRINO_HOST; default: localhost/);
    const serve = await trinoMcp(['serve', '--help']);
    expect(serve.stdout).toMatch(/--port <value>\s+sets MCP_PORT; default: 8080/);
  });

  it('check reaches the test Trino: OK lines, exit 0', async () => {
    const r = await trinoMcp(['check']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^OK {3}configuration: valid/m);
    expect(r.stdout).toMatch(/^OK {3}trino: .* answered as trino-mcp-it \(Trino \d+\)/m);
    expect(r.stdout).not.toMatch(/^FAIL/m);
  });

  it('check fails, saying what to do, when the configured Trino is not there', async () => {
    const r = await trinoMcp(['check', '--trino-port', String(await freePort())]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL trino: .*→ check TRINO_HOST/m);
  });

  it.each(GENERATIONS)('answers initialize over stdio and lists catalogs (%s)', async (generation) => {
    let stderr = '';
    const session = await connectStdioCommand(generation, { command: bin, args: [], env: { ...serverEnv(), PATH }, onStderr: (c) => (stderr += c) });
    try {
      expect(session.protocolVersion()).toBeTruthy();
      const result = await session.callTool('list_catalogs');
      expect(result.structuredContent?.['catalogs']).toContain('tpch');
    } finally {
      await session.close();
    }
    // stderr carries the JSON log lines, among them the audit line of the call.
    await poll(() => stderr, (s) => s.includes('"msg":"tool call"'), { timeoutMs: 5_000 });
    expect(stderr).toContain('"msg":"tool call"');
  });
});

describe('the newcomer path: check → serve → token → MCP Inspector CLI', () => {
  let server: ChildProcess | undefined;
  afterAll(() => {
    server?.kill('SIGKILL');
  });

  it('lists the tools with a token from `trino-mcp token`', async () => {
    const port = String(await freePort());
    const oauth = { OAUTH_ENABLED: 'true', JWT_SECRET: SECRET };

    const check = await trinoMcp(['check', '--transport', 'http', '--port', port], oauth);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toMatch(/^OK {3}oauth: HMAC tokens signed with JWT_SECRET/m);

    server = spawn(bin, ['serve', '--transport', 'http', '--port', port], { env: { ...serverEnv(), PATH, ...oauth }, stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    server.stderr!.setEncoding('utf8').on('data', (c: string) => (log += c));
    await poll(() => log, (l) => l.includes('"msg":"listening"') || server!.exitCode !== null, { timeoutMs: 20_000 });
    expect(log).toContain('"msg":"listening"');
    const url = `http://127.0.0.1:${port}/mcp`;

    const token = await trinoMcp(['token', '--sub', 'alice', '--scope', 'trino:read', '--ttl', '5m', '--port', port], oauth);
    expect(token.code, token.stderr).toBe(0);
    const jwt = token.stdout.trim();

    const tools = await runProcess(process.execPath, [INSPECTOR_CLI, url, '--transport', 'http', '--header', `Authorization: Bearer ${jwt}`, '--method', 'tools/list'], {
      cwd: dirname(INSPECTOR_CLI),
      env: { PATH },
    });
    expect(tools.code, tools.stderr).toBe(0);
    const names = (JSON.parse(tools.stdout) as { tools: Array<{ name: string }> }).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['list_catalogs', 'execute_query']));
    // The token itself never reaches the log.
    expect(log).not.toContain(jwt);
    expect(log).not.toContain(SECRET);
  });
});
