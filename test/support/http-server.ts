/** The built server over HTTP as a process: started, watched through its log, stopped. */
import { spawn, type ChildProcess } from 'node:child_process';
import { SignJWT } from 'jose';
import { freePort } from '../harness/trino-server.ts';
import { runProcess, SERVER_BIN, serverEnv } from './processes.ts';

/** The built server over HTTP, started by a test. */
export interface HttpServerHandle {
  /** URL of the MCP endpoint as the server itself logs it (…/mcp). */
  readonly url: string;
  /** scheme://host:port of that URL. */
  readonly origin: string;
  readonly port: number;
  readonly process: ChildProcess;
  /** Everything the server wrote to stderr so far. */
  stderr(): string;
  /** JSON log lines on stderr so far (lines that are not JSON are skipped). */
  logs(): Array<Record<string, unknown>>;
  /**
   * Sends `signal` (SIGTERM by default) and resolves with the exit code (null when killed
   * by a signal). Escalates to SIGKILL after `killAfterMs`. Idempotent.
   */
  stop(signal?: NodeJS.Signals, killAfterMs?: number): Promise<number | null>;
  /** Resolves with the exit code once the process has exited (without signalling it). */
  exited(): Promise<number | null>;
}

const START_TIMEOUT_MS = 20_000;
const running = new Set<HttpServerHandle>();

function httpServerEnv(env: Record<string, string>, port: number): Record<string, string> {
  return { ...serverEnv(), MCP_TRANSPORT: 'http', MCP_PORT: String(port), ...env };
}

function parseLogs(text: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // not a log line
    }
  }
  return out;
}

/**
 * Spawns the built server with MCP_TRANSPORT=http on a free port (unless `env` sets
 * MCP_PORT) and resolves once it has logged `"msg":"listening"`. Rejects with its stderr
 * when it exits first or does not listen in time.
 */
export async function startHttpServer(env: Record<string, string> = {}): Promise<HttpServerHandle> {
  const port = env['MCP_PORT'] ? Number(env['MCP_PORT']) : await freePort();
  const child = spawn(process.execPath, [SERVER_BIN], { env: httpServerEnv(env, port), stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stdout!.resume();
  child.stderr!.setEncoding('utf8');
  const exit = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });

  const listening = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not listen within ${START_TIMEOUT_MS} ms; stderr:\n${err}`));
    }, START_TIMEOUT_MS);
    let settled = false;
    const onData = (chunk: string) => {
      err += chunk;
      if (settled) return;
      const line = parseLogs(err).find((l) => l['msg'] === 'listening');
      if (line) {
        settled = true;
        clearTimeout(timer);
        resolve(line);
      }
    };
    child.stderr!.on('data', onData);
    void exit.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening; stderr:\n${err}`));
    });
  });

  const url = String(listening['url']);
  let stopping: Promise<number | null> | undefined;
  const handle: HttpServerHandle = {
    url,
    origin: new URL(url).origin,
    port,
    process: child,
    stderr: () => err,
    logs: () => parseLogs(err),
    exited: () => exit,
    stop(signal: NodeJS.Signals = 'SIGTERM', killAfterMs = 15_000) {
      if (!stopping) {
        stopping = (async () => {
          if (child.exitCode === null && child.signalCode === null) {
            child.kill(signal);
            const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
            try {
              return await exit;
            } finally {
              clearTimeout(timer);
              running.delete(handle);
            }
          }
          running.delete(handle);
          return exit;
        })();
      }
      return stopping;
    },
  };
  running.add(handle);
  return handle;
}

/** Stops every server still running (for afterAll hooks). */
export async function stopAllHttpServers(): Promise<void> {
  await Promise.all([...running].map((s) => s.stop('SIGKILL')));
}

/**
 * Spawns the built server expecting it to refuse to start; resolves with its exit code and
 * stderr. Kills it (and rejects) when it is still running after `timeoutMs`.
 */
export async function startHttpServerExpectingExit(
  env: Record<string, string> = {},
  timeoutMs = 20_000,
): Promise<{ code: number | null; stderr: string }> {
  const port = env['MCP_PORT'] ? Number(env['MCP_PORT']) : await freePort();
  const { code, stderr } = await runProcess(process.execPath, [SERVER_BIN], { env: httpServerEnv(env, port), timeoutMs });
  return { code, stderr };
}

/** Lines of stderr that are not JSON log lines (the one-line refusals of main). */
export function plainLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('{'));
}

/**
 * The environment of a server whose HTTP edge is under test and whose Trino is a closed
 * port (calls that get through answer ENGINE_UNAVAILABLE at once): HMAC OAuth with `secret`,
 * rate limits off, so that every request reaches the code behind them.
 */
export async function edgeOnlyEnv(secret: string): Promise<Record<string, string>> {
  return {
    TRINO_HOST: '127.0.0.1',
    TRINO_PORT: String(await freePort()),
    TRINO_SCHEME: 'http',
    OAUTH_ENABLED: 'true',
    OAUTH_PROVIDER: 'hmac',
    JWT_SECRET: secret,
    RATE_LIMIT_PER_MINUTE: '0',
  };
}

/** An HS256 bearer token for a server started with JWT_SECRET=`secret`: subject, scopes (space-separated) and lifetime. */
export function hmacToken(secret: string, audience: string, sub: string, scope = '', ttl = '10m'): Promise<string> {
  return new SignJWT({ scope })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(ttl)
    .sign(new TextEncoder().encode(secret));
}
