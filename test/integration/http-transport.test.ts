/**
 * The built server's HTTP transport, black-box, against a real Trino: health and security
 * headers, body handling, DNS-rebinding and CORS guards, POST /sse, cancellation when a
 * client goes away, graceful shutdown, and TLS.
 *
 * Servers run without OAuth on loopback unless a test says otherwise.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../harness/trino-server.ts';
import { plainLines, startHttpServer, startHttpServerExpectingExit, stopAllHttpServers, type HttpServerHandle } from '../support/http-server.ts';
import { JSON_RPC_HEADERS, messagesOf, postJsonRpc, TOOLS_LIST } from '../support/json-rpc.ts';
import { connectHttp, GENERATIONS, type McpSession, type ToolResult } from '../support/mcp-clients.ts';
import { findQuery, killLeftoverQueries, settledQueryState, slowCallInFlight, uniqueName } from '../support/trino-sql.ts';
import { poll } from '../support/wait.ts';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A request with exactly the headers given (fetch would not let us set Host). */
function raw(port: number, options: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer; chunked?: Buffer[] }): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: options.method ?? 'GET', path: options.path ?? '/', headers: options.headers ?? {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (options.chunked) {
      // No Content-Length: the limit must hold while streaming. The server may answer and close early.
      req.on('error', () => undefined);
      for (const c of options.chunked) req.write(c);
      req.end();
    } else req.end(options.body);
  });
}


/** Settles `p` or fails after `ms`: a call must never hang. */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_r, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

afterAll(async () => {
  await stopAllHttpServers();
  await killLeftoverQueries();
});

// ------------------------------------------------------------------------------------------

describe('HTTP transport on loopback without OAuth', () => {
  let server: HttpServerHandle;

  beforeAll(async () => {
    server = await startHttpServer({ MCP_MAX_BODY_BYTES: '2048' });
  });

  describe('health and headers', () => {
    it.each(['/status', '/healthz'])('%s → 200 {status: ok, version}', async (path) => {
      const res = await fetch(`${server.origin}${path}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok', version: VERSION });
      expect(res.headers.get('cache-control')).toBe('no-store');
    });

    it('security headers on every answer (helmet), no X-Powered-By, no HSTS over plain HTTP', async () => {
      for (const res of [await fetch(`${server.origin}/status`), await postJsonRpc(server.url, TOOLS_LIST), await fetch(`${server.origin}/nowhere`)]) {
        await res.text();
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
        expect(res.headers.get('referrer-policy')).toBe('no-referrer');
        expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
        expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
        expect(res.headers.get('cross-origin-resource-policy')).toBe('same-origin');
        expect(res.headers.get('x-powered-by')).toBeNull();
        expect(res.headers.get('strict-transport-security')).toBeNull();
      }
    });

    it('an unknown path → 404', async () => {
      const res = await fetch(`${server.origin}/nowhere`);
      await res.text();
      expect(res.status).toBe(404);
    });
  });

  describe('request bodies', () => {
    it('malformed JSON → a JSON-RPC parse error (-32700), not a plain-text 400', async () => {
      const res = await postJsonRpc(server.url, '{"jsonrpc": "2.0", "id": 1, "method": ');
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.json()).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } });
    });

    it('a wrong Content-Type → 415', async () => {
      const res = await fetch(server.url, { method: 'POST', headers: { ...JSON_RPC_HEADERS, 'content-type': 'text/plain' }, body: JSON.stringify(TOOLS_LIST) });
      await res.text();
      expect(res.status).toBe(415);
    });

    it('a body over MCP_MAX_BODY_BYTES → 413 (with Content-Length, and streamed without it)', async () => {
      const big = JSON.stringify({ ...TOOLS_LIST, params: { _meta: { pad: 'x'.repeat(4096) } } });
      const res = await postJsonRpc(server.url, big);
      await res.text();
      expect(res.status).toBe(413);
      const chunked = await raw(server.port, { method: 'POST', path: '/mcp', headers: JSON_RPC_HEADERS, chunked: Array.from({ length: 8 }, () => Buffer.from('x'.repeat(1024))) });
      expect(chunked.status).toBe(413);
    });

    it('a body just under the limit is served', async () => {
      const body = JSON.stringify({ ...TOOLS_LIST, params: { _meta: { pad: 'x'.repeat(1500) } } });
      expect(Buffer.byteLength(body)).toBeLessThan(2048);
      const res = await postJsonRpc(server.url, body);
      expect(res.status).toBe(200);
      expect(messagesOf(await res.text())[0]).toHaveProperty('result.tools');
    });

    it('keeps serving after all of that', async () => {
      const res = await postJsonRpc(server.url, TOOLS_LIST);
      expect(res.status).toBe(200);
      const tools = (messagesOf(await res.text())[0] as { result: { tools: Array<{ name: string }> } }).result.tools;
      expect(tools.map((t) => t.name)).toContain('execute_query');
      expect(server.process.exitCode).toBeNull();
    });
  });

  describe('DNS rebinding and CORS', () => {
    it('Host: evil.example → 403; loopback Host names pass', async () => {
      const evil = await raw(server.port, { path: '/status', headers: { host: 'evil.example' } });
      expect(evil.status).toBe(403);
      const evilMcp = await raw(server.port, { method: 'POST', path: '/mcp', headers: { ...JSON_RPC_HEADERS, host: `evil.example:${server.port}` }, body: JSON.stringify(TOOLS_LIST) });
      expect(evilMcp.status).toBe(403);
      for (const host of [`localhost:${server.port}`, `127.0.0.1:${server.port}`, 'localhost']) {
        expect((await raw(server.port, { path: '/status', headers: { host } })).status).toBe(200);
      }
    });

    it('Origin: http://evil.example → 403', async () => {
      const res = await postJsonRpc(server.url, TOOLS_LIST, { origin: 'http://evil.example' });
      await res.text();
      expect(res.status).toBe(403);
      const status = await fetch(`${server.origin}/status`, { headers: { origin: 'http://evil.example' } });
      await status.text();
      expect(status.status).toBe(403);
    });

    it('Origin: http://localhost:3000 → allowed; the answer echoes it and exposes Mcp-Session-Id and WWW-Authenticate', async () => {
      const res = await postJsonRpc(server.url, TOOLS_LIST, { origin: 'http://localhost:3000' });
      expect(res.status).toBe(200);
      expect(messagesOf(await res.text())[0]).toHaveProperty('result.tools');
      expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
      const exposed = (res.headers.get('access-control-expose-headers') ?? '').split(',').map((h) => h.trim().toLowerCase());
      expect(exposed).toEqual(expect.arrayContaining(['mcp-session-id', 'www-authenticate']));
    });

    it('CORS preflight from an allowed origin: 2xx, echoes the origin, allows POST and the MCP headers', async () => {
      const res = await fetch(server.url, {
        method: 'OPTIONS',
        headers: {
          origin: 'http://localhost:3000',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type, mcp-protocol-version',
        },
      });
      await res.text();
      expect(res.status).toBeGreaterThanOrEqual(200);
      expect(res.status).toBeLessThan(300);
      expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
      expect((res.headers.get('access-control-allow-methods') ?? '').split(',')).toContain('POST');
      const allowed = (res.headers.get('access-control-allow-headers') ?? '').split(',').map((h) => h.trim().toLowerCase());
      expect(allowed).toEqual(expect.arrayContaining(['authorization', 'content-type', 'mcp-protocol-version', 'mcp-session-id']));
      // (Access-Control-Expose-Headers is read from the actual response, see the test above, not the preflight.)
    });

    it('CORS preflight from a foreign origin → 403 without CORS headers', async () => {
      const res = await fetch(server.url, { method: 'OPTIONS', headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' } });
      await res.text();
      expect(res.status).toBe(403);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  describe('streamable HTTP at POST /sse', () => {
    it('a v1 client pointed at …/sse lists the tools and calls one', async () => {
      const client = await connectHttp('v1 client (@modelcontextprotocol/sdk)', `${server.origin}/sse`);
      try {
        const tools = await client.listTools();
        expect(tools.map((t) => t.name).sort()).toEqual(['execute_query', 'explain_query', 'fetch_more', 'get_table_schema', 'list_catalogs', 'list_schemas', 'list_tables', 'search_tables']);
        const r = await client.callTool('execute_query', { sql: 'SELECT count(*) AS n FROM tpch.tiny.nation' });
        expect(r.structuredContent).toMatchObject({ rows: [[25]] });
      } finally {
        await client.close();
      }
    });
  });

  describe('a legacy (v1) client that goes away mid-query', () => {
    it('closing the client aborts its HTTP request and the Trino query ends USER_CANCELED', async () => {
      const client = await connectHttp('v1 client (@modelcontextprotocol/sdk)', server.url);
      const { call, queryId } = await slowCallInFlight(client);
      await client.close();
      const settled = await within(call, 10_000, 'the aborted call');
      expect(settled.ok).toBe(false); // the client side rejects: it closed
      expect(await settledQueryState(queryId)).toEqual({ state: 'FAILED', errorCode: 'USER_CANCELED' });
      const log = server.logs().find((l) => l['msg'] === 'tool call' && l['queryId'] === queryId);
      expect(log).toMatchObject({ tool: 'execute_query', outcome: 'CANCELLED' });
    }, 45_000);
    // A 2025-era client sends notifications/cancelled in a request of its own; a 2026-07-28
    // client aborts its HTTP request. Either way the Trino query is cancelled.
    it.each(GENERATIONS)('a %s cancelling through AbortSignal cancels the Trino query', async (generation) => {
      const client = await connectHttp(generation, server.url);
      try {
        const abort = new AbortController();
        const { call, queryId } = await slowCallInFlight(client, abort.signal);
        abort.abort();
        expect((await within(call, 5_000, 'the cancelled call')).ok).toBe(false);
        expect(await settledQueryState(queryId, 6_000)).toEqual({ state: 'FAILED', errorCode: 'USER_CANCELED' });
      } finally {
        await client.close(); // disconnecting would cancel the query anyway: it comes after the assertions
      }
    }, 45_000);
  });
});

describe('MCP_ALLOWED_ORIGINS on a non-loopback bind (0.0.0.0, MCP_ALLOW_UNAUTHENTICATED=true)', () => {
  let server: HttpServerHandle;
  let url: string;

  beforeAll(async () => {
    server = await startHttpServer({ MCP_HOST: '0.0.0.0', MCP_ALLOW_UNAUTHENTICATED: 'true', MCP_ALLOWED_ORIGINS: 'https://app.example' });
    url = `http://127.0.0.1:${server.port}/mcp`;
  });

  it('the listed origin passes and is echoed', async () => {
    const res = await postJsonRpc(url, TOOLS_LIST, { origin: 'https://app.example' });
    expect(res.status).toBe(200);
    expect(messagesOf(await res.text())[0]).toHaveProperty('result.tools');
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example');
  });

  it.each(['https://other.example', 'http://app.example', 'https://app.example:8443', 'http://localhost:3000'])('Origin %s → 403', async (origin) => {
    const res = await postJsonRpc(url, TOOLS_LIST, { origin });
    await res.text();
    expect(res.status).toBe(403);
  });

  it('requests without Origin (non-browser clients) pass', async () => {
    const res = await postJsonRpc(url, TOOLS_LIST);
    await res.text();
    expect(res.status).toBe(200);
  });
});

describe('graceful shutdown (SIGTERM)', () => {
  it.each(GENERATIONS)(
    '%s: a long query in flight, MCP_SHUTDOWN_TIMEOUT=2 → exit 0 within 10 s, the call settles, the Trino query is cancelled',
    async (generation) => {
      const server = await startHttpServer({ MCP_SHUTDOWN_TIMEOUT: '2' });
      const client = await connectHttp(generation, server.url);
      try {
        const { call, queryId } = await slowCallInFlight(client);
        const t0 = Date.now();
        const code = await server.stop('SIGTERM', 20_000);
        const elapsed = Date.now() - t0;
        expect(code).toBe(0);
        expect(elapsed).toBeGreaterThanOrEqual(1_500); // it waited for the grace period first
        expect(elapsed).toBeLessThan(10_000);
        const settled = await within(call, 5_000, 'the call in flight at shutdown');
        if (settled.ok) {
          // Completed with a tool error: the request was aborted by the shutdown.
          const r: ToolResult = settled.value;
          expect(r.isError).toBe(true);
          expect(r.structuredContent?.['code']).toBe('CANCELLED');
        }
        expect(await settledQueryState(queryId)).toEqual({ state: 'FAILED', errorCode: 'USER_CANCELED' });
        // The server said it aborted what was still in flight after the grace period.
        expect(server.logs().some((l) => l['level'] === 'warn' && l['graceMs'] === 2000 && Number(l['requests']) >= 1)).toBe(true);
      } finally {
        await client.close().catch(() => undefined);
      }
    },
    45_000,
  );

  it.each(GENERATIONS)('%s: a short query in flight finishes with its result; new connections are refused meanwhile', async (generation) => {
    const server = await startHttpServer({ MCP_SHUTDOWN_TIMEOUT: '20' });
    const client: McpSession = await connectHttp(generation, server.url);
    try {
      const m = uniqueName();
      // A couple of seconds on the test Trino: long enough to be seen in flight, far below the grace.
      const call = client.callTool('execute_query', { sql: `SELECT count(*) AS n FROM tpch.sf1.orders /* ${m} */` });
      call.catch(() => undefined);
      const { queryId } = await findQuery(m);
      const stopped = server.stop('SIGTERM', 30_000);
      // Once the server logs that it is stopping, it no longer accepts connections.
      await poll(() => server.logs().some((l) => String(l['msg']).startsWith('stopping')), Boolean, { timeoutMs: 5_000, intervalMs: 20 });
      await expect(fetch(`${server.origin}/status`)).rejects.toThrow();
      const settled = await within(call, 25_000, 'the short call');
      expect(settled.ok, String((settled as { error?: unknown }).error)).toBe(true);
      const r = (settled as { value: ToolResult }).value;
      expect(r.isError).toBeFalsy();
      expect(r.structuredContent).toMatchObject({ rows: [[1_500_000]], truncated: false, queryId });
      expect(await stopped).toBe(0);
      expect(await settledQueryState(queryId)).toMatchObject({ state: 'FINISHED' });
    } finally {
      await client.close().catch(() => undefined);
    }
  }, 45_000);
});

describe('TLS (MCP_HTTPS)', () => {
  let dir: string;
  let certFile: string;
  let keyFile: string;
  const secret = 'tls-test-hmac-secret-of-32-bytes-or-more';
  let server: HttpServerHandle;
  let base: string;
  let ca: Buffer;
  let trusting: Agent;
  let token: string;
  /** fetch that trusts the test certificate (undici's own fetch with a dispatcher carrying the CA). */
  const trustingFetch = ((input: string | URL | Request, init?: RequestInit) =>
    undiciFetch(input as string, { ...(init as object), dispatcher: trusting } as Parameters<typeof undiciFetch>[1])) as unknown as typeof fetch;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trino-mcp-tls-'));
    certFile = join(dir, 'cert.pem');
    keyFile = join(dir, 'key.pem');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-days', '1',
      '-keyout', keyFile, '-out', certFile,
    ], { stdio: 'ignore' });
    ca = readFileSync(certFile);
    trusting = new Agent({ connect: { ca } });
    // Bound to 0.0.0.0 with OAuth: allowed because TLS is on (the plain-HTTP refusal is tested in http-auth).
    server = await startHttpServer({
      MCP_HOST: '0.0.0.0',
      MCP_HTTPS: 'true',
      HTTPS_CERT_FILE: certFile,
      HTTPS_KEY_FILE: keyFile,
      OAUTH_ENABLED: 'true',
      OAUTH_PROVIDER: 'hmac',
      JWT_SECRET: secret,
    });
    base = `https://127.0.0.1:${server.port}`;
    token = await new SignJWT({ sub: 'tls-user' })
      .setProtectedHeader({ alg: 'HS256' })
      .setAudience(`${base}/mcp`)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(secret));
  });
  afterAll(async () => {
    await server?.stop();
    await trusting?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('logs an https URL and the https resource', () => {
    const listening = server.logs().find((l) => l['msg'] === 'listening')!;
    expect(String(listening['url'])).toMatch(/^https:\/\//);
    expect(listening['resource']).toBe(`${base}/mcp`);
  });

  it('/status over https with a client that trusts the certificate; HSTS is sent', async () => {
    const res = await trustingFetch(`${base}/status`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', version: VERSION });
    expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
  });

  it.each(GENERATIONS)('%s: list_catalogs over https with a bearer token', async (generation) => {
    const client = await connectHttp(generation, `${base}/mcp`, { headers: { Authorization: `Bearer ${token}` }, fetch: trustingFetch });
    try {
      const r = await client.callTool('list_catalogs');
      expect(r.isError).toBeFalsy();
      expect(r.structuredContent?.['catalogs']).toEqual(expect.arrayContaining(['tpch', 'memory']));
    } finally {
      await client.close();
    }
  });

  it('the resource metadata names the https resource', async () => {
    const res = await trustingFetch(`${base}/.well-known/oauth-protected-resource`);
    expect(await res.json()).toMatchObject({ resource: `${base}/mcp`, bearer_methods_supported: ['header'] });
  });

  it('a client that does not trust the certificate fails', async () => {
    const err = await fetch(`${base}/status`).then(
      () => undefined,
      (e: unknown) => e as Error & { cause?: { code?: string } },
    );
    expect(err).toBeDefined();
    expect(err?.cause?.code).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|CERT/);
  });

  it('plain HTTP to the TLS port gets no MCP answer', async () => {
    const outcome = await fetch(`http://127.0.0.1:${server.port}/status`).then(
      async (r) => r.status,
      () => 'error',
    );
    expect(outcome).not.toBe(200);
  });

  it('HTTPS_CERT_FILE pointing at a missing file → exit 2, one line naming HTTPS_CERT_FILE', async () => {
    const { code, stderr } = await startHttpServerExpectingExit({
      MCP_HTTPS: 'true',
      HTTPS_CERT_FILE: join(dir, 'missing.pem'),
      HTTPS_KEY_FILE: keyFile,
    });
    expect(code).toBe(2);
    const lines = plainLines(stderr);
    expect(lines, stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^trino-mcp: HTTPS_CERT_FILE\b/);
  });

  it('MCP_HTTPS=true without HTTPS_KEY_FILE → exit 2, one line naming HTTPS_KEY_FILE', async () => {
    const { code, stderr } = await startHttpServerExpectingExit({ MCP_HTTPS: 'true', HTTPS_CERT_FILE: certFile });
    expect(code).toBe(2);
    const lines = plainLines(stderr);
    expect(lines, stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^trino-mcp: invalid configuration: HTTPS_KEY_FILE\b/);
  });
});

describe('MCP_PORT already in use', () => {
  it('→ exit 2, one line naming MCP_PORT', async () => {
    const port = await freePort();
    const first = await startHttpServer({ MCP_PORT: String(port) });
    try {
      const { code, stderr } = await startHttpServerExpectingExit({ MCP_PORT: String(port) });
      expect(code).toBe(2);
      const lines = plainLines(stderr);
      expect(lines, stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/^trino-mcp: MCP_PORT\b/);
    } finally {
      await first.stop();
    }
  });
});

describe('a loopback address other than 127.0.0.1 (MCP_HOST=127.0.0.2)', () => {
  // Regression: config counted 127.0.0.0/8 as loopback but the Host guard knew only 127.0.0.1,
  // so the server logged its URL and then answered that URL with 403 "Host not allowed".
  it('serves the URL it logs, over MCP, and still refuses a foreign Host', async () => {
    const server = await startHttpServer({ MCP_HOST: '127.0.0.2' });
    try {
      expect(new URL(server.url).hostname).toBe('127.0.0.2');
      const status = await fetch(`${server.origin}/status`);
      expect(status.status, await status.text()).toBe(200);
      const client = await connectHttp(GENERATIONS[0]!, server.url);
      try {
        expect((await client.listTools()).map((t) => t.name)).toContain('execute_query');
      } finally {
        await client.close();
      }
      const evil = await new Promise<number>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.2', port: server.port, path: '/status', headers: { host: 'evil.example' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
      expect(evil).toBe(403);
    } finally {
      await server.stop();
    }
  });
});
