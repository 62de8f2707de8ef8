/**
 * Child processes of the tests: the built server (its path, the environment that points it
 * at the test Trino) and running any command to its end.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { trinoUrl } from './trino-sql.ts';

export const SERVER_BIN = fileURLToPath(new URL('../../dist/app/main.js', import.meta.url));

/** The Trino user the built server runs as (serverEnv); the tests' own queries run as TEST_TRINO_USER. */
const SERVER_TRINO_USER = 'trino-mcp-it';

/** Environment for the built server pointed at the test Trino. */
export function serverEnv(extra: Record<string, string> = {}): Record<string, string> {
  const url = new URL(trinoUrl());
  return {
    PATH: process.env['PATH'] ?? '',
    TRINO_HOST: url.hostname,
    TRINO_PORT: url.port || (url.protocol === 'https:' ? '443' : '80'),
    TRINO_SCHEME: url.protocol.replace(':', ''),
    TRINO_USER: SERVER_TRINO_USER,
    TRINO_CATALOG: 'tpch',
    TRINO_SCHEMA: 'tiny',
    // The tests that write are about other rules; test/integration/write-confirmation asks for elicit.
    TRINO_WRITE_CONFIRMATION: 'none',
    ...extra,
  };
}

export interface ProcessOutcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `command` with `input` on stdin (then closed) and resolves with its exit code and
 * output once it has exited and closed its pipes. Kills it and rejects, with its stderr,
 * when it is still running after `timeoutMs`.
 */
export function runProcess(
  command: string,
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string; input?: string; timeoutMs?: number } = {},
): Promise<ProcessOutcome> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? { PATH: process.env['PATH'] ?? '' },
      ...(options.cwd ? { cwd: options.cwd } : {}),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} still running after ${timeoutMs} ms; stderr:\n${stderr}`));
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    // A child that exits before reading its input makes the write fail with EPIPE: that is its answer, not ours.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}
