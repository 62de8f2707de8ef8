import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import type { Readable } from 'node:stream';
import type { ToolResult } from './mcp-clients.ts';
import { SERVER_BIN } from './processes.ts';

/** The built server over stdio, started with Node.js flags, and what it left on stderr. */
export interface FlaggedStdioSession {
  callTool(name: string, args?: Record<string, unknown>): Promise<ToolResult>;
  /** Whether the server process is still running (false once it exited, e.g. aborted out of heap). */
  alive(): boolean;
  /** Everything the process wrote to stderr so far (its JSON log lines, or V8's fatal error). */
  stderr(): string;
  close(): Promise<void>;
}

/**
 * Starts `node <nodeFlags> dist/app/main.js` (e.g. `--max-old-space-size=256`) and connects a
 * 2026-era client. connectStdio has no place for Node.js flags; this is its variant for tests
 * about the process itself (memory limits, crashes).
 */
export async function connectStdioWithNodeFlags(nodeFlags: readonly string[], env: Record<string, string>): Promise<FlaggedStdioSession> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [...nodeFlags, SERVER_BIN], env, stderr: 'pipe' });
  let stderr = '';
  (transport.stderr as Readable | null)?.on('data', (chunk: Buffer) => {
    // Enough to see why a process died; the log of a long test run need not be kept whole.
    if (stderr.length < 1_000_000) stderr += chunk.toString('utf8');
  });
  let closed = false;
  const client = new Client({ name: 'it-node-flags', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  client.onclose = () => {
    closed = true;
  };
  await client.connect(transport);
  const pid = transport.pid;
  return {
    callTool: async (name, args = {}) => (await client.callTool({ name, arguments: args }, { timeout: 120_000 })) as ToolResult,
    alive: () => {
      if (closed || pid === null) return false;
      try {
        process.kill(pid, 0); // signal 0: only asks whether the process exists
        return true;
      } catch {
        return false;
      }
    },
    stderr: () => stderr,
    close: () => client.close(),
  };
}
