import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runProcess } from '../support/processes.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const require = createRequire(import.meta.url);
const { problem } = require('../../bin/node-check.cjs') as { problem: (which: 'runtime' | 'dev', version: string) => string | null };
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string>; scripts: Record<string, string>; engines: { node: string } };

describe('the runtime check', () => {
  it('names the required version and how to get it, in one line, for a Node.js below the floor', () => {
    const line = problem('runtime', 'v20.20.2');
    expect(line).toMatch(/Node\.js 22\.12 or newer is required, this is Node\.js 20\.20\.2/);
    expect(line).toContain('https://nodejs.org/');
    expect(line).not.toContain('\n');
    expect(problem('dev', '22.20.0')).toMatch(/Node\.js 24 or newer/);
    expect(problem('runtime', '22.11.9')).not.toBeNull();
  });

  it('passes this Node.js and versions at or above the floor', () => {
    expect(problem('runtime', process.versions.node)).toBeNull();
    expect(problem('dev', process.versions.node)).toBeNull();
    expect(problem('runtime', '22.12.0')).toBeNull();
    expect(problem('runtime', '100.0.0')).toBeNull();
  });

  it('reads the runtime floor from package.json engines', () => {
    expect(pkg.engines.node).toBe('>=22.12');
  });

  it('runs first in every npm script, and the bin checks before it loads the server', () => {
    for (const [name, script] of Object.entries(pkg.scripts)) {
      const first = name === 'start' ? 'node bin/trino-mcp.cjs' : 'node bin/node-check.cjs dev && ';
      expect(script.startsWith(first), `${name}: ${script}`).toBe(true);
    }
    expect(pkg.bin['trino-mcp']).toBe('bin/trino-mcp.cjs');
    const bin = readFileSync(join(ROOT, 'bin/trino-mcp.cjs'), 'utf8');
    expect(bin.indexOf("require('./node-check.cjs').requireNode('runtime')")).toBeLessThan(bin.indexOf("require('./launch.cjs')"));
  });
});

/** A Node.js on PATH older than the dev floor (the machine's default node is such one), or undefined. */
function oldNode(): { node: string; dir: string; version: string } | undefined {
  const mine = realpathSync(process.execPath);
  for (const dir of ['/usr/bin', '/usr/local/bin', ...(process.env['PATH'] ?? '').split(delimiter)]) {
    const node = join(dir, 'node');
    if (!existsSync(node) || realpathSync(node) === mine) continue;
    const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
    if (problem('dev', version)) return { node, dir, version };
  }
  return undefined;
}

const old = oldNode();

// Skipped only where no older Node.js is installed: there is nothing real to run it on.
describe.skipIf(!old)(`on an old Node.js (${old?.version ?? 'none found'})`, () => {
  it('the installed bin prints one line and exits 2', async () => {
    const r = await runProcess(old!.node, [join(ROOT, 'bin/trino-mcp.cjs'), '--help'], { env: { PATH: old!.dir } });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^trino-mcp: Node\.js 22\.12 or newer is required, this is Node\.js \d/);
  });

  it.each(['demo', 'test', 'build'])('npm run %s prints one line on stderr and exits 2', async (script) => {
    const npm = join(old!.dir, 'npm');
    const r = await runProcess(npm, ['run', '--silent', script], { cwd: ROOT, env: { PATH: `${old!.dir}${delimiter}/bin`, HOME: process.env['HOME'] ?? '/tmp' } });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
    expect(r.stderr).toMatch(/^trino-mcp: Node\.js 24 or newer is required, this is Node\.js \d.*nvm install 24/);
    expect(r.stderr).not.toContain('ERR_UNKNOWN_FILE_EXTENSION');
  });
});
