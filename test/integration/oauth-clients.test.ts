/**
 * Real OAuth clients against the built server and a real authorization server
 * (oidc-provider on loopback): the SDK's OAuth client provider through discovery →
 * authorization code + PKCE → token with `resource` → tools/call; mcp-remote as a stdio
 * proxy (bearer header, SSE-only, its own client-credentials discovery, and its own browser
 * login); the MCP Inspector CLI.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client as ClientV2, StreamableHTTPClientTransport, UnauthorizedError, type OAuthClientProvider } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIdp, TEST_SERVICE_CLIENT_ID, TEST_SERVICE_SECRET, type TestIdp } from '../harness/oidc-provider.ts';
import { freePort } from '../harness/trino-server.ts';
import { startHttpServer, type HttpServerHandle } from '../support/http-server.ts';
import { connectHttp, connectStdioCommand, type McpSession, type ToolResult } from '../support/mcp-clients.ts';
import { runProcess } from '../support/processes.ts';
import { poll } from '../support/wait.ts';

const MCP_REMOTE = fileURLToPath(new URL('../../node_modules/mcp-remote/dist/proxy.js', import.meta.url));
const INSPECTOR_CLI = fileURLToPath(new URL('../../node_modules/@modelcontextprotocol/inspector-cli/build/index.js', import.meta.url));

let idp: TestIdp;
let server: HttpServerHandle;

beforeAll(async () => {
  idp = await startTestIdp();
  server = await startHttpServer({ OAUTH_ENABLED: 'true', OIDC_ISSUER: idp.issuer, OAUTH_REQUIRED_SCOPES: 'trino:read' });
});
afterAll(async () => {
  await server?.stop();
  await idp?.close();
});

function catalogsOf(result: ToolResult): string[] {
  return (result.structuredContent?.['catalogs'] ?? []) as string[];
}

/** An OAuthClientProvider whose "browser" is the test: it logs in through the IdP's pages over HTTP. */
class HttpLoginProvider implements OAuthClientProvider {
  readonly redirectUrl = 'http://127.0.0.1:53682/callback';
  private info: unknown;
  private stored: unknown;
  private verifier = '';
  callback: URL | undefined;
  authorizationUrls: URL[] = [];

  constructor(private readonly user: string) {}

  get clientMetadata() {
    return {
      client_name: 'trino-mcp integration test',
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      application_type: 'native',
    } as OAuthClientProvider['clientMetadata'];
  }
  clientInformation() {
    return this.info as never;
  }
  saveClientInformation(info: unknown) {
    this.info = info;
  }
  tokens() {
    return this.stored as never;
  }
  saveTokens(tokens: unknown) {
    this.stored = tokens;
  }
  async redirectToAuthorization(url: URL) {
    this.authorizationUrls.push(url);
    this.callback = await idp.loginAndConsent(url.href, this.user);
  }
  saveCodeVerifier(v: string) {
    this.verifier = v;
  }
  codeVerifier() {
    return this.verifier;
  }
}

describe('the SDK OAuth client provider, end to end', () => {
  it('discovers, logs in with authorization code + PKCE, gets a token for this resource, and calls a tool', async () => {
    const provider = new HttpLoginProvider('alice');
    const first = new StreamableHTTPClientTransport(new URL(server.url), { authProvider: provider });
    const client = new ClientV2({ name: 'oauth-it', version: '1.0.0' });
    await expect(client.connect(first)).rejects.toBeInstanceOf(UnauthorizedError);

    // The client found the authorization server through this server's RFC 9728 metadata,
    // registered itself dynamically, and asked for this resource with PKCE.
    const auth = provider.authorizationUrls[0]!;
    expect(auth.origin).toBe(idp.issuer);
    expect(auth.searchParams.get('resource')).toBe(server.url);
    expect(auth.searchParams.get('code_challenge_method')).toBe('S256');
    expect(auth.searchParams.get('scope')).toContain('trino:read');
    expect(provider.callback!.searchParams.get('code')).toBeTruthy();
    // The whole callback query: code, state and the RFC 9207 `iss` the client checks.
    await first.finishAuth(provider.callback!.searchParams);

    const connected = await connectHttp('v2 client, protocol 2026-07-28', server.url, { authProvider: provider });
    const result = await connected.callTool('list_catalogs');
    expect(result.isError).toBeFalsy();
    expect(catalogsOf(result)).toEqual(expect.arrayContaining(['tpch', 'memory']));
    await connected.close();

    // The call ran as the user who logged in.
    const call = server.logs().find((l) => l['msg'] === 'tool call' && l['tool'] === 'list_catalogs');
    expect(call).toMatchObject({ user: 'alice', via: 'http', outcome: 'ok' });
  });
});

/**
 * Runs mcp-remote as the stdio proxy a desktop client would start and connects a v1 stdio
 * client to it. `stderr()` is readable while `connected` is still pending (a browser login
 * waits there).
 */
/** Folders the proxies and the fake browser wrote to; removed after the file. */
const scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

function viaMcpRemote(args: string[], env: Record<string, string> = {}): { connected: Promise<McpSession>; stderr: () => string } {
  const configDir = mkdtempSync(join(tmpdir(), 'mcp-remote-'));
  scratch.push(configDir);
  let stderr = '';
  const connected = connectStdioCommand('v1 client (@modelcontextprotocol/sdk)', {
    command: process.execPath,
    args: [MCP_REMOTE, ...args],
    env: { PATH: process.env['PATH'] ?? '', HOME: configDir, MCP_REMOTE_CONFIG_DIR: configDir, ...env },
    onStderr: (chunk) => (stderr += chunk),
  });
  return { connected, stderr: () => stderr };
}

describe('mcp-remote as a stdio proxy', () => {
  it('with a bearer header, over streamable HTTP (its default transport)', async () => {
    const token = await idp.clientCredentialsToken({ resource: server.url, scope: 'trino:read' });
    const client = await viaMcpRemote([server.url, '--header', 'Authorization:${AUTH_HEADER}'], { AUTH_HEADER: `Bearer ${token}` }).connected;
    try {
      expect(catalogsOf(await client.callTool('list_catalogs'))).toContain('tpch');
    } finally {
      await client.close();
    }
  });

  it('pointed at /sse, with its default transport and with --transport sse-only', async () => {
    const sse = `${server.origin}/sse`;
    const token = await idp.clientCredentialsToken({ resource: sse, scope: 'trino:read' });
    for (const mode of ['http-first', 'sse-only']) {
      const p = viaMcpRemote([sse, '--transport', mode, '--header', 'Authorization:${AUTH_HEADER}'], { AUTH_HEADER: `Bearer ${token}` });
      const client = await p.connected;
      try {
        const r = await client.callTool('execute_query', { sql: 'SELECT count(*) FROM tpch.tiny.region' });
        expect(r.structuredContent?.['rows'], `${mode}: ${p.stderr()}`).toEqual([[5]]);
      } finally {
        await client.close();
      }
    }
  });

  it('with its own OAuth discovery (client credentials): metadata → token endpoint → resource → call', async () => {
    const p = viaMcpRemote(
      [
        server.url,
        '--client-credentials',
        '--static-oauth-client-info',
        JSON.stringify({ client_id: TEST_SERVICE_CLIENT_ID, client_secret: '${SVC_SECRET}' }),
      ],
      { SVC_SECRET: TEST_SERVICE_SECRET },
    );
    const client = await p.connected;
    try {
      expect(catalogsOf(await client.callTool('list_catalogs')), p.stderr()).toContain('memory');
    } finally {
      await client.close();
    }
    expect(p.stderr()).not.toContain(TEST_SERVICE_SECRET);
  });

  it('with its own OAuth discovery and browser login (authorization code + PKCE)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'browser-'));
    scratch.push(dir);
    const urls = join(dir, 'opened-urls');
    const browser = join(dir, 'browser.sh');
    // The "browser": records the URL mcp-remote opens; the test then logs in over HTTP.
    writeFileSync(browser, `#!/bin/sh\nprintf '%s\\n' "$1" >> '${urls}'\n`);
    chmodSync(browser, 0o755);
    // mcp-remote binds the callback port itself: a port free a moment ago can be taken by
    // then (the ephemeral range is shared), so a start that reports it in use is retried.
    const start = async () => {
      const p = viaMcpRemote([server.url, String(await freePort()), '--host', '127.0.0.1'], { BROWSER: browser, DISPLAY: '' });
      p.connected.catch(() => undefined); // awaited below, once the login is done
      const authUrl = await poll(
        () => {
          if (p.stderr().includes('is already in use')) return 'in use';
          const fromFile = existsSync(urls) ? readFileSync(urls, 'utf8').split('\n').find((l) => l.startsWith(idp.issuer)) : undefined;
          return fromFile ?? /(http:\/\/127\.0\.0\.1:\d+\/auth\?\S+)/.exec(p.stderr())?.[1];
        },
        (url) => url !== undefined,
        { timeoutMs: 20_000 },
      );
      return { p, authUrl };
    };
    let { p, authUrl } = await start();
    for (let retry = 0; authUrl === 'in use' && retry < 3; retry++) ({ p, authUrl } = await start());
    expect(authUrl, p.stderr()).toMatch(/^http/);
    expect(new URL(authUrl!).searchParams.get('resource')).toBe(server.url);
    const callback = await idp.loginAndConsent(authUrl!, 'bob');
    expect(callback.searchParams.get('code')).toBeTruthy();
    await fetch(callback); // the user's browser landing on mcp-remote's callback
    const client = await p.connected;
    try {
      expect(catalogsOf(await client.callTool('list_catalogs'))).toContain('tpch');
    } finally {
      await client.close();
    }
    const call = server.logs().filter((l) => l['msg'] === 'tool call' && l['user'] === 'bob');
    expect(call.length).toBeGreaterThan(0);
  });
});

describe('MCP Inspector CLI', () => {
  // The CLI looks for its package.json relative to the working directory: start it
  // from its own build folder, where that lookup finds its own package.json.
  const inspector = (args: string[]) => runProcess(process.execPath, [INSPECTOR_CLI, ...args], { cwd: dirname(INSPECTOR_CLI) });

  it('lists tools and calls execute_query with a bearer token', async () => {
    const token = await idp.clientCredentialsToken({ resource: server.url, scope: 'trino:read' });
    const header = `Authorization: Bearer ${token}`;
    const tools = await inspector([server.url, '--transport', 'http', '--header', header, '--method', 'tools/list']);
    expect(tools.code, tools.stderr).toBe(0);
    const names = (JSON.parse(tools.stdout) as { tools: Array<{ name: string }> }).tools.map((t) => t.name);
    expect(names).toContain('execute_query');
    const call = await inspector([
      server.url,
      '--transport',
      'http',
      '--header',
      header,
      '--method',
      'tools/call',
      '--tool-name',
      'execute_query',
      '--tool-arg',
      'sql=SELECT count(*) AS n FROM tpch.tiny.nation',
    ]);
    expect(call.code, call.stderr).toBe(0);
    expect((JSON.parse(call.stdout) as { structuredContent: { rows: unknown[][] } }).structuredContent.rows).toEqual([[25]]);
  });

  it('without a token is refused', async () => {
    const r = await inspector([server.url, '--transport', 'http', '--method', 'tools/list']);
    expect(r.code).not.toBe(0);
    // Any failure exits non-zero (an unreachable server too): it must be this server's refusal.
    expect(r.stderr).toContain('"error":"unauthorized"');
  });
});
