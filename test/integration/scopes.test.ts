/**
 * Scopes over HTTP with OAuth: OAUTH_REQUIRED_SCOPES for any access, OAUTH_WRITE_SCOPE for
 * execute_statement. A caller sees only the tools it may call, and a call beyond its
 * scopes gets the MCP scope challenge (403 insufficient_scope naming every needed scope).
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIdp, type TestIdp } from '../harness/oidc-provider.ts';
import { startHttpServer, type HttpServerHandle } from '../support/http-server.ts';

let idp: TestIdp;
let server: HttpServerHandle;

beforeAll(async () => {
  idp = await startTestIdp();
  server = await startHttpServer({
    OAUTH_ENABLED: 'true',
    OIDC_ISSUER: idp.issuer,
    OAUTH_REQUIRED_SCOPES: 'trino:read',
    OAUTH_WRITE_SCOPE: 'trino:write',
    TRINO_ALLOW_WRITE_QUERIES: 'true',
  });
});
afterAll(async () => {
  await server?.stop();
  await idp?.close();
});

async function connect(scope: string) {
  const token = await idp.clientCredentialsToken({ resource: server.url, scope });
  const client = new Client({ name: 'scopes-it', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
  return { client, token };
}

function rpc(token: string, body: unknown) {
  return fetch(server.url, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      'Mcp-Protocol-Version': '2025-06-18',
    },
    body: JSON.stringify(body),
  });
}

function challengeParams(header: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of (header ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) out[m[1]!] = m[2]!.replace(/\\(.)/g, '$1');
  return out;
}

describe('scopes per tool', () => {
  it('a reader is not shown execute_statement; a writer is', async () => {
    const reader = await connect('trino:read');
    const writer = await connect('trino:read trino:write');
    try {
      const readerTools = (await reader.client.listTools()).tools.map((t) => t.name);
      const writerTools = (await writer.client.listTools()).tools.map((t) => t.name);
      expect(readerTools).not.toContain('execute_statement');
      expect(readerTools).toContain('execute_query');
      expect(writerTools).toContain('execute_statement');
    } finally {
      await reader.client.close();
      await writer.client.close();
    }
  });

  it('a reader calling execute_statement gets 403 insufficient_scope naming the scopes it needs', async () => {
    const { client, token } = await connect('trino:read');
    await client.close();
    const res = await rpc(token, {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'execute_statement', arguments: { sql: 'CREATE SCHEMA memory.should_not_exist' } },
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const params = challengeParams(res.headers.get('www-authenticate'));
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect(params['error']).toBe('insufficient_scope');
    expect(params['scope']?.split(' ').sort()).toEqual(['trino:read', 'trino:write']);
    expect(params['resource_metadata']).toBe(`${server.origin}/.well-known/oauth-protected-resource/mcp`);
  });

  it('the same reader can still run reads in the same kind of request', async () => {
    const { client, token } = await connect('trino:read');
    await client.close();
    const res = await rpc(token, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'execute_query', arguments: { sql: 'SELECT 1' } } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('"rows":[[1]]');
  });

  it('a writer can call execute_statement', async () => {
    const { client } = await connect('trino:read trino:write');
    try {
      const r = await client.callTool({ name: 'execute_statement', arguments: { sql: 'SELECT 42' } });
      expect(r.isError).toBeFalsy();
    } finally {
      await client.close();
    }
  });

  it('a token without the required scope gets 403 on any access', async () => {
    const token = await idp.clientCredentialsToken({ resource: server.url, scope: 'trino:write' });
    const res = await rpc(token, { jsonrpc: '2.0', id: 3, method: 'tools/list', params: {} });
    expect(res.status).toBe(403);
    expect(challengeParams(res.headers.get('www-authenticate'))).toMatchObject({ error: 'insufficient_scope', scope: 'trino:read' });
  });
});
