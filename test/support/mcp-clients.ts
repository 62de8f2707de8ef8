import { Client as ClientV2 } from '@modelcontextprotocol/client';
import { StdioClientTransport as StdioTransportV2 } from '@modelcontextprotocol/client/stdio';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as StdioTransportV1 } from '@modelcontextprotocol/sdk/client/stdio.js';
import { fileURLToPath } from 'node:url';
import { trinoUrl } from './trino-sql.ts';

export const SERVER_BIN = fileURLToPath(new URL('../../dist/app/main.js', import.meta.url));

export interface ToolResult {
  isError?: boolean;
  content: Array<{ type: string; text?: string }>;
  structuredContent?: Record<string, unknown>;
}

/** The two client generations behind one small interface. */
export interface McpSession {
  readonly generation: Generation;
  callTool(name: string, args?: Record<string, unknown>, signal?: AbortSignal): Promise<ToolResult>;
  listTools(): Promise<Array<{ name: string; annotations?: Record<string, unknown>; inputSchema: unknown; outputSchema?: unknown }>>;
  protocolVersion(): string | undefined;
  close(): Promise<void>;
}

export type Generation = 'v2 client, protocol 2026-07-28' | 'v1 client (@modelcontextprotocol/sdk)';
export const GENERATIONS: readonly Generation[] = ['v2 client, protocol 2026-07-28', 'v1 client (@modelcontextprotocol/sdk)'];

/** Environment for the built server pointed at the test Trino. */
export function serverEnv(extra: Record<string, string> = {}): Record<string, string> {
  const url = new URL(trinoUrl());
  return {
    PATH: process.env['PATH'] ?? '',
    TRINO_HOST: url.hostname,
    TRINO_PORT: url.port || (url.protocol === 'https:' ? '443' : '80'),
    TRINO_SCHEME: url.protocol.replace(':', ''),
    TRINO_USER: 'trino-mcp-it',
    TRINO_CATALOG: 'tpch',
    TRINO_SCHEMA: 'tiny',
    ...extra,
  };
}

/** Starts the built server over stdio and connects a client of the given generation. */
export async function connectStdio(generation: Generation, env: Record<string, string>): Promise<McpSession> {
  const params = { command: process.execPath, args: [SERVER_BIN], env, stderr: 'pipe' as const };
  if (generation === 'v1 client (@modelcontextprotocol/sdk)') {
    const client = new ClientV1({ name: 'it-v1', version: '1.0.0' });
    const transport = new StdioTransportV1(params);
    await client.connect(transport);
    return {
      generation,
      callTool: async (name, args = {}, signal) =>
        (await client.callTool({ name, arguments: args }, undefined, signal ? { signal } : undefined)) as ToolResult,
      listTools: async () => (await client.listTools()).tools as never,
      protocolVersion: () => (client as unknown as { _transport?: { protocolVersion?: string } })._transport?.protocolVersion,
      close: () => client.close(),
    };
  }
  const client = new ClientV2({ name: 'it-v2', version: '2.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  const transport = new StdioTransportV2(params);
  await client.connect(transport);
  return {
    generation,
    callTool: async (name, args = {}, signal) =>
      (await client.callTool({ name, arguments: args }, signal ? { signal } : undefined)) as ToolResult,
    listTools: async () => (await client.listTools()).tools as never,
    protocolVersion: () => client.getNegotiatedProtocolVersion(),
    close: () => client.close(),
  };
}
