/**
 * Real MCP clients of both generations behind one small interface, over stdio and over
 * streamable HTTP: the tests are written once and run with either.
 */
import {
  Client as ClientV2,
  StreamableHTTPClientTransport as HttpTransportV2,
  type OAuthClientProvider,
} from '@modelcontextprotocol/client';
import { StdioClientTransport as StdioTransportV2 } from '@modelcontextprotocol/client/stdio';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as StdioTransportV1 } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport as HttpTransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LATEST_PROTOCOL_VERSION as V1_LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { SERVER_BIN } from './processes.ts';

export type Generation = 'v2 client, protocol 2026-07-28' | 'v1 client (@modelcontextprotocol/sdk)';
export const GENERATIONS: readonly Generation[] = ['v2 client, protocol 2026-07-28', 'v1 client (@modelcontextprotocol/sdk)'];

/** The protocol version each generation must end up speaking with this server. */
export const PROTOCOL_VERSION: Readonly<Record<Generation, string>> = {
  'v2 client, protocol 2026-07-28': '2026-07-28',
  // The v1 client offers its latest version; the server must accept it rather than downgrade.
  'v1 client (@modelcontextprotocol/sdk)': V1_LATEST_PROTOCOL_VERSION,
};

export interface ToolResult {
  isError?: boolean;
  content: Array<{ type: string; text?: string }>;
  structuredContent?: Record<string, unknown>;
}

export interface ProgressInfo {
  progress: number;
  total?: number | undefined;
  message?: string | undefined;
}

export interface ToolInfo {
  name: string;
  annotations?: Record<string, unknown>;
  inputSchema: unknown;
  outputSchema?: unknown;
}

/** Resources, prompts and completions, as both client generations offer them. */
export interface CatalogFeatures {
  listResources(cursor?: string): Promise<{ resources: Array<{ uri: string; name: string; description?: string }>; nextCursor?: string }>;
  listResourceTemplates(): Promise<Array<{ uriTemplate: string; name: string }>>;
  readResource(uri: string): Promise<{ contents: Array<{ uri: string; mimeType?: string; text?: string }> }>;
  complete(
    ref: { type: 'ref/resource'; uri: string } | { type: 'ref/prompt'; name: string },
    argument: { name: string; value: string },
    context?: Record<string, string>,
  ): Promise<{ values: string[]; hasMore?: boolean }>;
  listPrompts(): Promise<Array<{ name: string; arguments?: Array<{ name: string }> }>>;
  getPrompt(name: string, args: Record<string, string>): Promise<{ messages: Array<{ content: { type: string; text?: string } }> }>;
  serverCapabilities(): Record<string, unknown> | undefined;
}

type FeatureClient = {
  listResources(p?: { cursor?: string }): Promise<unknown>;
  listResourceTemplates(): Promise<unknown>;
  readResource(p: { uri: string }): Promise<unknown>;
  complete(p: unknown): Promise<unknown>;
  listPrompts(): Promise<unknown>;
  getPrompt(p: { name: string; arguments: Record<string, string> }): Promise<unknown>;
  getServerCapabilities(): unknown;
};

/** The two SDKs' clients have the same methods here, with their own result types. */
function featuresOf(client: FeatureClient): CatalogFeatures {
  return {
    listResources: async (cursor) => (await client.listResources(cursor ? { cursor } : undefined)) as Awaited<ReturnType<CatalogFeatures['listResources']>>,
    listResourceTemplates: async () => ((await client.listResourceTemplates()) as { resourceTemplates: Array<{ uriTemplate: string; name: string }> }).resourceTemplates,
    readResource: async (uri) => (await client.readResource({ uri })) as Awaited<ReturnType<CatalogFeatures['readResource']>>,
    complete: async (ref, argument, context) =>
      ((await client.complete({ ref, argument, ...(context ? { context: { arguments: context } } : {}) })) as { completion: { values: string[]; hasMore?: boolean } })
        .completion,
    listPrompts: async () => ((await client.listPrompts()) as { prompts: Array<{ name: string; arguments?: Array<{ name: string }> }> }).prompts,
    getPrompt: async (name, args) => (await client.getPrompt({ name, arguments: args })) as Awaited<ReturnType<CatalogFeatures['getPrompt']>>,
    serverCapabilities: () => client.getServerCapabilities() as Record<string, unknown> | undefined,
  };
}

export interface McpSession extends CatalogFeatures {
  readonly generation: Generation;
  /** With `onprogress`, the request carries a progressToken and each notifications/progress is handed to it. */
  callTool(name: string, args?: Record<string, unknown>, signal?: AbortSignal, onprogress?: (p: ProgressInfo) => void): Promise<ToolResult>;
  listTools(): Promise<ToolInfo[]>;
  /** The protocol version negotiated at connect. */
  protocolVersion(): string | undefined;
  close(): Promise<void>;
}

// Above the SDKs' 60 s default: a test bounds its own waits, and a slow call must fail
// there, with the test's message, not as a client timeout.
const REQUEST_TIMEOUT_MS = 120_000;
const requestOptions = (signal?: AbortSignal, onprogress?: (p: ProgressInfo) => void) => ({
  timeout: REQUEST_TIMEOUT_MS,
  ...(signal ? { signal } : {}),
  ...(onprogress ? { onprogress } : {}),
});

async function connectV1(transport: StdioTransportV1 | HttpTransportV1): Promise<McpSession> {
  // The v1 client tells only transports with setProtocolVersion (HTTP) what it negotiated:
  // give every transport one, so stdio sessions report their version too.
  let negotiated: string | undefined;
  const target = transport as { setProtocolVersion?: (version: string) => void };
  const own = target.setProtocolVersion?.bind(transport);
  target.setProtocolVersion = (version) => {
    negotiated = version;
    own?.(version);
  };
  const client = new ClientV1({ name: 'it-v1', version: '1.0.0' });
  await client.connect(transport);
  return {
    ...featuresOf(client as unknown as FeatureClient),
    generation: 'v1 client (@modelcontextprotocol/sdk)',
    callTool: async (name, args = {}, signal, onprogress) =>
      (await client.callTool({ name, arguments: args }, undefined, requestOptions(signal, onprogress))) as ToolResult,
    listTools: async () => (await client.listTools()).tools as ToolInfo[],
    protocolVersion: () => negotiated,
    close: () => client.close(),
  };
}

async function connectV2(transport: StdioTransportV2 | HttpTransportV2): Promise<McpSession> {
  const client = new ClientV2({ name: 'it-v2', version: '2.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await client.connect(transport);
  return {
    ...featuresOf(client as unknown as FeatureClient),
    generation: 'v2 client, protocol 2026-07-28',
    callTool: async (name, args = {}, signal, onprogress) => (await client.callTool({ name, arguments: args }, requestOptions(signal, onprogress))) as ToolResult,
    listTools: async () => (await client.listTools()).tools as ToolInfo[],
    protocolVersion: () => client.getNegotiatedProtocolVersion(),
    close: () => client.close(),
  };
}

/** A command that speaks MCP on stdio; `onStderr` sees its stderr from the start. */
export interface StdioCommand {
  command: string;
  args: string[];
  env: Record<string, string>;
  onStderr?: (chunk: string) => void;
}

/** Starts `command` and connects a client of the given generation to its stdio. */
export async function connectStdioCommand(
  generation: Generation,
  { command, args, env, onStderr }: StdioCommand,
): Promise<McpSession & { readonly pid: number | null }> {
  const params = { command, args, env, stderr: 'pipe' as const };
  const transport = generation === 'v1 client (@modelcontextprotocol/sdk)' ? new StdioTransportV1(params) : new StdioTransportV2(params);
  if (onStderr) transport.stderr?.on('data', (d: Buffer) => onStderr(d.toString()));
  const session = await (transport instanceof StdioTransportV1 ? connectV1(transport) : connectV2(transport));
  // The process id, known once the transport has started it: for tests about the process itself.
  return { ...session, pid: transport.pid };
}

/** Starts the built server over stdio with `env` and connects a client of the given generation. */
export function connectStdio(generation: Generation, env: Record<string, string>): Promise<McpSession> {
  return connectStdioCommand(generation, { command: process.execPath, args: [SERVER_BIN], env });
}

export interface HttpClientOptions {
  /** Sent on every request (e.g. Authorization). */
  headers?: Record<string, string>;
  /** Replaces the transport's fetch (e.g. one that trusts a test certificate). */
  fetch?: typeof fetch;
  /** Lets the client get its own token (RFC 9728 discovery, then the provider's flow). */
  authProvider?: OAuthClientProvider;
}

/** Connects a client of the given generation to `url` over streamable HTTP. */
export function connectHttp(generation: Generation, url: string, options: HttpClientOptions = {}): Promise<McpSession> {
  const transportOptions = {
    ...(options.headers ? { requestInit: { headers: options.headers } } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.authProvider ? { authProvider: options.authProvider } : {}),
  };
  return generation === 'v1 client (@modelcontextprotocol/sdk)'
    ? // The two SDKs' OAuthClientProvider types differ only in their own type names.
      connectV1(new HttpTransportV1(new URL(url), transportOptions as ConstructorParameters<typeof HttpTransportV1>[1]))
    : connectV2(new HttpTransportV2(new URL(url), transportOptions));
}
