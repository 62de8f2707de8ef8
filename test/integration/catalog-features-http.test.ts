/**
 * Resources, prompts and completions over HTTP with OAuth: they read the catalog, so they
 * need what every read needs (OAUTH_REQUIRED_SCOPES, here trino:read) — a token without
 * it gets the scope challenge before anything runs; with it, the SDK clients of both
 * generations and the MCP Inspector CLI list, read and complete.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIdp, type TestIdp } from '../harness/oidc-provider.ts';
import { parseChallenge } from '../support/challenge.ts';
import { startHttpServer, type HttpServerHandle } from '../support/http-server.ts';
import { messagesOf, postJsonRpc } from '../support/json-rpc.ts';
import { connectHttp, GENERATIONS } from '../support/mcp-clients.ts';
import { runProcess } from '../support/processes.ts';

const INSPECTOR_CLI = fileURLToPath(new URL('../../node_modules/@modelcontextprotocol/inspector-cli/build/index.js', import.meta.url));

let idp: TestIdp;
let server: HttpServerHandle;

beforeAll(async () => {
  idp = await startTestIdp();
  server = await startHttpServer({
    OAUTH_ENABLED: 'true',
    OIDC_ISSUER: idp.issuer,
    OAUTH_REQUIRED_SCOPES: 'trino:read',
    TRINO_ALLOWED_TABLES: 'tpch.tiny.*',
  });
});
afterAll(async () => {
  await server?.stop();
  await idp?.close();
});

const token = (scope: string) => idp.clientCredentialsToken({ resource: server.url, scope });
const rpc = async (scope: string, method: string, params: Record<string, unknown>) =>
  postJsonRpc(server.url, { jsonrpc: '2.0', id: 7, method, params }, { authorization: `Bearer ${await token(scope)}`, 'mcp-protocol-version': '2025-06-18' });

const TEMPLATE = { type: 'ref/resource', uri: 'trino://{catalog}/{schema}/{table}' };

describe('the scope every read needs', () => {
  it.each([
    ['resources/read', { uri: 'trino://tpch/tiny/nation' }],
    ['resources/list', {}],
    ['completion/complete', { ref: TEMPLATE, argument: { name: 'table', value: 'n' }, context: { arguments: { catalog: 'tpch', schema: 'tiny' } } }],
    ['prompts/get', { name: 'explore_schema', arguments: { catalog: 'tpch', schema: 'tiny' } }],
  ])('%s without trino:read gets 403 insufficient_scope naming it, and reveals nothing', async (method, params) => {
    const res = await rpc('trino:write', method, params);
    expect(res.status).toBe(403);
    const { params: challenge } = parseChallenge(res.headers.get('www-authenticate'));
    expect(challenge['error']).toBe('insufficient_scope');
    expect(challenge['scope']).toBe('trino:read');
    expect(await res.text()).not.toContain('nation');
  });

  it('with trino:read the same resources/read and completion answer', async () => {
    const read = await rpc('trino:read', 'resources/read', { uri: 'trino://tpch/tiny/nation' });
    expect(read.status).toBe(200);
    const [message] = messagesOf(await read.text());
    expect(JSON.stringify(message)).toContain('nationkey');
    const complete = await rpc('trino:read', 'completion/complete', {
      ref: TEMPLATE,
      argument: { name: 'table', value: 'n' },
      context: { arguments: { catalog: 'tpch', schema: 'tiny' } },
    });
    expect(JSON.stringify(messagesOf(await complete.text())[0])).toContain('"values":["nation"]');
  });
});

describe.each(GENERATIONS)('%s over HTTP', (generation) => {
  it('lists, reads and completes within the allowlist', async () => {
    const mcp = await connectHttp(generation, server.url, { headers: { Authorization: `Bearer ${await token('trino:read')}` } });
    try {
      const listed = await mcp.listResources();
      expect(listed.resources.map((r) => r.uri)).toEqual(expect.arrayContaining(['trino://tpch', 'trino://tpch/tiny', 'trino://tpch/tiny/orders']));
      expect(listed.resources.every((r) => r.uri === 'trino://tpch' || r.uri.startsWith('trino://tpch/tiny'))).toBe(true);
      const read = await mcp.readResource('trino://tpch/tiny/region');
      expect(read.contents.map((c) => c.mimeType)).toEqual(['application/json', 'text/markdown']);
      expect((await mcp.complete(TEMPLATE as { type: 'ref/resource'; uri: string }, { name: 'table', value: 'or' }, { catalog: 'tpch', schema: 'tiny' })).values).toEqual(['orders']);
      await expect(mcp.readResource('trino://tpch/sf1/region')).rejects.toThrow(/not found/i);
    } finally {
      await mcp.close();
    }
  });
});

describe('MCP Inspector CLI', () => {
  // The CLI finds its package.json relative to the working directory (see oauth-clients.test.ts).
  const inspector = async (args: string[]) => {
    const header = `Authorization: Bearer ${await token('trino:read')}`;
    const r = await runProcess(process.execPath, [INSPECTOR_CLI, server.url, '--transport', 'http', '--header', header, ...args], { cwd: dirname(INSPECTOR_CLI) });
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  };

  it('lists resources and templates, reads a table, lists and gets prompts', async () => {
    const listed = (await inspector(['--method', 'resources/list'])) as { resources: Array<{ uri: string }> };
    expect(listed.resources.map((r) => r.uri)).toContain('trino://tpch/tiny/nation');
    const templates = (await inspector(['--method', 'resources/templates/list'])) as { resourceTemplates: Array<{ uriTemplate: string }> };
    expect(templates.resourceTemplates.map((t) => t.uriTemplate)).toContain('trino://{catalog}/{schema}/{table}');
    const read = (await inspector(['--method', 'resources/read', '--uri', 'trino://tpch/tiny/nation'])) as { contents: Array<{ text: string }> };
    expect(JSON.parse(read.contents[0]!.text)).toMatchObject({ catalog: 'tpch', schema: 'tiny', table: 'nation' });
    const prompts = (await inspector(['--method', 'prompts/list'])) as { prompts: Array<{ name: string }> };
    expect(prompts.prompts.map((p) => p.name).sort()).toEqual(['explore_schema', 'query_table']);
    const got = (await inspector(['--method', 'prompts/get', '--prompt-name', 'explore_schema', '--prompt-args', 'catalog=tpch', 'schema=tiny'])) as {
      messages: Array<{ content: { text: string } }>;
    };
    expect(got.messages[0]!.content.text).toContain('tpch.tiny');
  });
});
