/** Hand-written MCP messages, for the tests that speak to the server below the level of a client. */

export const JSON_RPC_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
};

export const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'it-raw', version: '1.0.0' } },
} as const;

export const INITIALIZED = { jsonrpc: '2.0', method: 'notifications/initialized' } as const;

export const TOOLS_LIST = { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} } as const;

export function toolsCall(id: number, name: string, args: Record<string, unknown> = {}) {
  return { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } } as const;
}

/** POSTs one JSON-RPC message (or a raw string body) to an MCP endpoint; `headers` are added to, or override, the JSON-RPC ones. */
export function postJsonRpc(url: string, body: unknown = TOOLS_LIST, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { ...JSON_RPC_HEADERS, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

/** The SSE or JSON body of a streamable-HTTP answer, as its JSON-RPC messages. */
export function messagesOf(body: string): Array<Record<string, unknown>> {
  const trimmed = body.trim();
  if (trimmed.startsWith('{')) return [JSON.parse(trimmed) as Record<string, unknown>];
  return trimmed
    .split('\n')
    .filter((l) => l.startsWith('data:'))
    .map((l) => JSON.parse(l.slice(5)) as Record<string, unknown>);
}
