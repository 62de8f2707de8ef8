import { connectStdioCommand, type ToolResult } from './mcp-clients.ts';
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
 * 2026-era client: connectStdio with a place for Node.js flags, for tests about the process
 * itself (memory limits, crashes).
 */
export async function connectStdioWithNodeFlags(nodeFlags: readonly string[], env: Record<string, string>): Promise<FlaggedStdioSession> {
  let stderr = '';
  const session = await connectStdioCommand('v2 client, protocol 2026-07-28', {
    command: process.execPath,
    args: [...nodeFlags, SERVER_BIN],
    env,
    // Enough to see why a process died; the log of a long test run need not be kept whole.
    onStderr: (chunk) => {
      if (stderr.length < 1_000_000) stderr += chunk;
    },
  });
  const { pid } = session;
  return {
    callTool: (name, args = {}) => session.callTool(name, args),
    alive: () => {
      if (pid === null) return false;
      try {
        process.kill(pid, 0); // signal 0: only asks whether the process exists
        return true;
      } catch {
        return false;
      }
    },
    stderr: () => stderr,
    close: () => session.close(),
  };
}
