/**
 * Clients of both generations that can answer elicitation: each question is recorded and
 * answered with the action the test chose (accept with confirm: true, decline or cancel).
 */
import { Client as ClientV2, StreamableHTTPClientTransport as HttpTransportV2 } from '@modelcontextprotocol/client';
import { StdioClientTransport as StdioTransportV2 } from '@modelcontextprotocol/client/stdio';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as StdioTransportV1 } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport as HttpTransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Generation, ToolResult } from './mcp-clients.ts';
import { SERVER_BIN } from './processes.ts';

export type Answer = 'accept' | 'decline' | 'cancel' | 'accept-false';

export interface ElicitingSession {
  /** The messages the server asked the user, in order. */
  readonly asked: string[];
  answer: Answer;
  callTool(name: string, args: Record<string, unknown>): Promise<ToolResult>;
  close(): Promise<void>;
}

function reply(answer: Answer) {
  if (answer === 'accept') return { action: 'accept' as const, content: { confirm: true } };
  if (answer === 'accept-false') return { action: 'accept' as const, content: { confirm: false } };
  return { action: answer };
}

const timeout = { timeout: 120_000 };

export async function connectEliciting(
  generation: Generation,
  target: { stdio: Record<string, string> } | { url: string },
  answer: Answer,
): Promise<ElicitingSession> {
  const asked: string[] = [];
  const session = { asked, answer } as ElicitingSession;
  if (generation === 'v1 client (@modelcontextprotocol/sdk)') {
    const client = new ClientV1({ name: 'it-v1-elicit', version: '1.0.0' }, { capabilities: { elicitation: {} } });
    client.setRequestHandler(ElicitRequestSchema, (req) => {
      asked.push(String(req.params.message));
      return reply(session.answer);
    });
    const transport =
      'stdio' in target
        ? new StdioTransportV1({ command: process.execPath, args: [SERVER_BIN], env: target.stdio, stderr: 'pipe' })
        : new HttpTransportV1(new URL(target.url));
    await client.connect(transport);
    session.callTool = async (name, args) => (await client.callTool({ name, arguments: args }, undefined, timeout)) as ToolResult;
    session.close = () => client.close();
    return session;
  }
  const client = new ClientV2(
    { name: 'it-v2-elicit', version: '2.0.0' },
    { capabilities: { elicitation: { form: {} } }, versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  client.setRequestHandler('elicitation/create', (req) => {
    asked.push(String((req.params as { message?: unknown }).message));
    return reply(session.answer);
  });
  const transport =
    'stdio' in target
      ? new StdioTransportV2({ command: process.execPath, args: [SERVER_BIN], env: target.stdio, stderr: 'pipe' })
      : new HttpTransportV2(new URL(target.url));
  await client.connect(transport);
  session.callTool = async (name, args) => (await client.callTool({ name, arguments: args }, timeout)) as ToolResult;
  session.close = () => client.close();
  return session;
}
