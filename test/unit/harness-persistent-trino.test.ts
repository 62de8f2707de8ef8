/**
 * The harness does not run the suite against a `npm run trino:up` instance started with an
 * older configuration (no HTTPS, no authentication): it stops it and reports it replaced.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runningPersistent } from '../harness/trino-server.ts';

let saved: string | undefined;
beforeEach(() => {
  saved = process.env['TRINO_MCP_CACHE'];
  process.env['TRINO_MCP_CACHE'] = mkdtempSync(join(tmpdir(), 'harness-'));
});
afterEach(() => {
  if (saved === undefined) delete process.env['TRINO_MCP_CACHE'];
  else process.env['TRINO_MCP_CACHE'] = saved;
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('the persistent test Trino', () => {
  it('is stopped and reported replaced when its state has no current configuration version', async () => {
    // Stands in for an old Trino: a process group of our own.
    const old = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
    const exited = new Promise((r) => old.once('exit', r));
    const run = join(process.env['TRINO_MCP_CACHE']!, 'run');
    mkdirSync(run, { recursive: true });
    writeFileSync(join(run, 'state.json'), JSON.stringify({ url: 'http://127.0.0.1:1', pid: old.pid, runDir: run }));
    const lines: string[] = [];
    expect(await runningPersistent((l) => lines.push(l))).toBe('replaced');
    await exited;
    expect(alive(old.pid!)).toBe(false);
    expect(existsSync(join(run, 'state.json'))).toBe(false);
    expect(lines.join('\n')).toMatch(/configuration version 1, not \d+: restarting it/);
  });
});
