import { spawn, type ChildProcess } from 'node:child_process';
import { Client as ClientV2, StreamableHTTPClientTransport as HttpTransportV2 } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as HttpTransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { freePort } from '../harness/trino-server.ts';
import { SERVER_BIN, serverEnv } from './mcp-clients.ts';

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

function spawnServer(env: Record<string, string>, port: number): ChildProcess {
  return spawn(process.execPath, [SERVER_BIN], {
    env: { ...serverEnv(), MCP_TRANSPORT: 'http', MCP_PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
  const child = spawnServer(env, port);
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
  const child = spawnServer(env, port);
  let err = '';
  child.stdout!.resume();
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => (err += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server still running after ${timeoutMs} ms; stderr:\n${err}`));
    }, timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr: err });
    });
  });
}

/** Lines of stderr that are not JSON log lines (the one-line refusals of main). */
export function plainLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('{'));
}

// ------------------------------------------------------------------------------------------
// MCP clients over streamable HTTP

export type HttpGeneration = 'v2 client, protocol 2026-07-28' | 'v1 client (@modelcontextprotocol/sdk)';
export const HTTP_GENERATIONS: readonly HttpGeneration[] = ['v2 client, protocol 2026-07-28', 'v1 client (@modelcontextprotocol/sdk)'];

export interface HttpToolResult {
  isError?: boolean;
  content: Array<{ type: string; text?: string }>;
  structuredContent?: Record<string, unknown>;
}

export interface HttpMcpSession {
  callTool(name: string, args?: Record<string, unknown>, signal?: AbortSignal): Promise<HttpToolResult>;
  listTools(): Promise<Array<{ name: string }>>;
  protocolVersion(): string | undefined;
  close(): Promise<void>;
}

/**
 * Connects a client of the given generation to `url` over streamable HTTP. `headers` go on
 * every request (e.g. Authorization); `fetch` replaces the transport's fetch (e.g. to trust
 * a test certificate). Request timeouts are raised to 120 s: the tests bound their own waits.
 */
export async function connectHttp(
  generation: HttpGeneration,
  url: string,
  options: { headers?: Record<string, string>; fetch?: typeof fetch } = {},
): Promise<HttpMcpSession> {
  const transportOptions = {
    ...(options.headers ? { requestInit: { headers: options.headers } } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  };
  const timeout = 120_000;
  if (generation === 'v1 client (@modelcontextprotocol/sdk)') {
    const client = new ClientV1({ name: 'it-http-v1', version: '1.0.0' });
    const transport = new HttpTransportV1(new URL(url), transportOptions);
    await client.connect(transport);
    return {
      callTool: async (name, args = {}, signal) =>
        (await client.callTool({ name, arguments: args }, undefined, { timeout, ...(signal ? { signal } : {}) })) as HttpToolResult,
      listTools: async () => (await client.listTools()).tools,
      protocolVersion: () => transport.protocolVersion,
      close: () => client.close(),
    };
  }
  const client = new ClientV2({ name: 'it-http-v2', version: '2.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await client.connect(new HttpTransportV2(new URL(url), transportOptions));
  return {
    callTool: async (name, args = {}, signal) =>
      (await client.callTool({ name, arguments: args }, { timeout, ...(signal ? { signal } : {}) })) as HttpToolResult,
    listTools: async () => (await client.listTools()).tools,
    protocolVersion: () => client.getNegotiatedProtocolVersion(),
    close: () => client.close(),
  };
}
