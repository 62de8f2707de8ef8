/**
 * Scopes over HTTP with OAuth: OAUTH_REQUIRED_SCOPES for any access, OAUTH_WRITE_SCOPE for
 * execute_statement. A caller sees only the tools it may call, and a call beyond its
 * scopes gets the MCP scope challenge (403 insufficient_scope naming every needed scope).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIdp, type TestIdp } from '../harness/oidc-provider.ts';
import { parseChallenge } from '../support/challenge.ts';
import { startHttpServer, type HttpServerHandle } from '../support/http-server.ts';
import { postJsonRpc, toolsCall, TOOLS_LIST } from '../support/json-rpc.ts';
import { connectHttp, GENERATIONS, type Generation, type McpSession } from '../support/mcp-clients.ts';

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

const tokenWith = (scope: string) => idp.clientCredentialsToken({ resource: server.url, scope });

async function connect(generation: Generation, scope: string): Promise<McpSession> {
  return connectHttp(generation, server.url, { headers: { Authorization: `Bearer ${await tokenWith(scope)}` } });
}

/** One JSON-RPC request outside a session, as a 2025-06-18 client sends it. */
function rpc(token: string, body: unknown) {
  return postJsonRpc(server.url, body, { authorization: `Bearer ${token}`, 'mcp-protocol-version': '2025-06-18' });
}

describe('scopes per tool', () => {
  it.each(GENERATIONS)('%s: a reader is not shown execute_statement; a writer is', async (generation) => {
    const reader = await connect(generation, 'trino:read');
    const writer = await connect(generation, 'trino:read trino:write');
    try {
      const readerTools = (await reader.listTools()).map((t) => t.name);
      const writerTools = (await writer.listTools()).map((t) => t.name);
      expect(readerTools).not.toContain('execute_statement');
      expect(readerTools).toContain('execute_query');
      expect(writerTools).toContain('execute_statement');
    } finally {
      await reader.close();
      await writer.close();
    }
  });

  it('a reader calling execute_statement gets 403 insufficient_scope naming the scopes it needs', async () => {
    const res = await rpc(await tokenWith('trino:read'), toolsCall(1, 'execute_statement', { sql: 'CREATE SCHEMA memory.should_not_exist' }));
    expect(res.status).toBe(403);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const { scheme, params } = parseChallenge(res.headers.get('www-authenticate'));
    expect(scheme).toBe('Bearer');
    expect(params['error']).toBe('insufficient_scope');
    expect(params['scope']?.split(' ').sort()).toEqual(['trino:read', 'trino:write']);
    expect(params['resource_metadata']).toBe(`${server.origin}/.well-known/oauth-protected-resource/mcp`);
    // One audit line for the refusal, naming the tool and never the token.
    const refused = server.logs().filter((l) => l['audit'] === 'auth_refused' && l['reason'] === 'insufficient_scope' && l['tool'] === 'execute_statement');
    expect(refused).toHaveLength(1);
  });

  it('the same reader can still run reads in the same kind of request', async () => {
    const res = await rpc(await tokenWith('trino:read'), toolsCall(2, 'execute_query', { sql: 'SELECT 1' }));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('"rows":[[1]]');
  });

  it.each(GENERATIONS)('%s: a writer can call execute_statement', async (generation) => {
    const writer = await connect(generation, 'trino:read trino:write');
    try {
      const r = await writer.callTool('execute_statement', { sql: 'SELECT 42' });
      expect(r.isError).toBeFalsy();
    } finally {
      await writer.close();
    }
  });

  it('a token without the required scope gets 403 on any access', async () => {
    const res = await rpc(await tokenWith('trino:write'), TOOLS_LIST);
    expect(res.status).toBe(403);
    expect(parseChallenge(res.headers.get('www-authenticate')).params).toMatchObject({ error: 'insufficient_scope', scope: 'trino:read' });
  });
});
