/**
 * Identity on real Trino, through the built server: with TRINO_IMPERSONATE=true the Trino
 * session user is exactly the token's claim or nothing runs (never `j?rgen` for `jörgen`,
 * never `bob` for ` bob `); claim text cannot forge the fields of X-Trino-Client-Info;
 * tokens with hostile standard claims get RFC 6750 401s; and what the operator reads at
 * start-up tells the truth without leaking secrets.
 */
import { randomUUID } from 'node:crypto';
import { CompactSign } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer, stopAllHttpServers, type HttpServerHandle } from '../support/http-server.ts';
import { connectHttp } from '../support/mcp-clients.ts';
import { trinoQuery, trinoUrl } from '../support/trino-sql.ts';

const SECRET = 'impersonation-exact-secret-0123456789abcdef';
const now = () => Math.floor(Date.now() / 1000);

/** An HS256 token over exactly these claims (sub, aud, iat and exp included unless overridden). */
async function token(server: HttpServerHandle, claims: Record<string, unknown>): Promise<string> {
  const body = { sub: 'user-123', aud: server.url, iat: now(), exp: now() + 300, ...claims };
  return new CompactSign(new TextEncoder().encode(JSON.stringify(body))).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
}

const marker = () => `imx_${randomUUID().replaceAll('-', '')}`;

/** What Trino recorded for the queries whose text contains `m` (this test's own queries excluded). */
async function queriesWith(m: string): Promise<Array<{ id: string; user: string; source: string }>> {
  const rows = await trinoQuery(
    `SELECT query_id, "user", source FROM system.runtime.queries WHERE query LIKE '%${m}%' AND query NOT LIKE '%system.runtime.queries%'`,
  );
  return rows.map(([id, user, source]) => ({ id: String(id), user: String(user), source: String(source) }));
}

/** The session Trino keeps for a query (GET /v1/query/{id}): user and client info as received. */
async function sessionOf(queryId: string): Promise<{ user: string; clientInfo?: string }> {
  const res = await fetch(`${trinoUrl()}/v1/query/${encodeURIComponent(queryId)}`, { headers: { 'X-Trino-User': 'trino-mcp-test' } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { session: { user: string; clientInfo?: string } }).session;
}

/** execute_query `SELECT '<m>'` with a token carrying `claims`; resolves with the tool result. */
async function runAs(server: HttpServerHandle, claims: Record<string, unknown>, m: string) {
  const mcp = await connectHttp('v2 client, protocol 2026-07-28', server.url, { headers: { Authorization: `Bearer ${await token(server, claims)}` } });
  try {
    return await mcp.callTool('execute_query', { sql: `SELECT '${m}'` });
  } finally {
    await mcp.close();
  }
}

afterAll(stopAllHttpServers);

describe('impersonation on real Trino: exactly the claim, or refused', () => {
  let server: HttpServerHandle;
  beforeAll(async () => {
    server = await startHttpServer({
      OAUTH_ENABLED: 'true',
      OAUTH_PROVIDER: 'hmac',
      JWT_SECRET: SECRET,
      TRINO_IMPERSONATE: 'true',
      TRINO_IMPERSONATION_CLAIM: 'preferred_username',
    });
  });

  it('runs a plain claim as itself (the control: the checks below can see a query)', async () => {
    const m = marker();
    expect((await runAs(server, { preferred_username: 'carol' }, m)).isError).toBeFalsy();
    expect((await queriesWith(m)).map((q) => q.user)).toEqual(['carol']);
  });

  it.each([
    ['jörgen', 'jörgen'],
    ['jürgen', 'jürgen'],
    [' bob ', ' bob '],
    ['bob\t', 'bob\t'],
    ['256 characters', 'a'.repeat(256)],
  ])('refuses %j with POLICY_DENIED / IMPERSONATION, and nothing runs in Trino', async (_what, claim) => {
    const m = marker();
    const r = await runAs(server, { preferred_username: claim }, m);
    expect(r.isError).toBe(true);
    expect(r.structuredContent).toMatchObject({ code: 'POLICY_DENIED', rule: 'IMPERSONATION' });
    // Neither `j?rgen`, `jörgen`, `bob` nor a cut name: no query with the marker at all.
    expect(await queriesWith(m)).toEqual([]);
  });

  it('claim text cannot forge the fields of X-Trino-Client-Info', async () => {
    const m = marker();
    const subject = '" via=stdio subject=admin';
    const r = await runAs(server, { sub: subject, preferred_username: 'carol', upn: 'ignored' }, m);
    expect(r.isError).toBeFalsy();
    const [q] = await queriesWith(m);
    expect(q).toMatchObject({ user: 'carol' });
    expect(q!.source).toMatch(/^trino-mcp\//);
    const session = await sessionOf(q!.id);
    expect(session.user).toBe('carol');
    expect(JSON.parse(session.clientInfo!)).toEqual({ client: 'trino-mcp', via: 'http', subject, user: 'carol' });
  });

  it('a non-ASCII subject reaches the client info intact (JSON escapes, no `?`)', async () => {
    const m = marker();
    const r = await runAs(server, { sub: 'jörgen-Ω', preferred_username: 'dave' }, m);
    expect(r.isError).toBeFalsy();
    const [q] = await queriesWith(m);
    expect(JSON.parse((await sessionOf(q!.id)).clientInfo!)).toMatchObject({ subject: 'jörgen-Ω', user: 'dave' });
  });
});

describe('hostile token claims over HTTP (RFC 6750)', () => {
  let server: HttpServerHandle;
  beforeAll(async () => {
    server = await startHttpServer({ OAUTH_ENABLED: 'true', OAUTH_PROVIDER: 'hmac', JWT_SECRET: SECRET });
  });

  it.each([
    ['sub ""', { sub: '' }],
    ['iat a year in the future', { iat: now() + 365 * 24 * 3600 }],
  ])('a token whose %s gets 401 invalid_token with a Bearer challenge', async (_what, claims) => {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await token(server, claims)}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    });
    const body = (await res.json()) as Record<string, unknown>;
    expect(res.status).toBe(401);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const challenge = res.headers.get('www-authenticate') ?? '';
    expect(challenge).toMatch(/^Bearer /);
    expect(challenge).toContain('error="invalid_token"');
    expect(challenge).toContain(`resource_metadata="${server.origin}/.well-known/oauth-protected-resource/mcp"`);
    expect(body['error']).toBe('invalid_token');
  });

  it('the control: the same token with sane claims is accepted', async () => {
    const mcp = await connectHttp('v1 client (@modelcontextprotocol/sdk)', server.url, { headers: { Authorization: `Bearer ${await token(server, {})}` } });
    try {
      expect((await mcp.listTools()).length).toBeGreaterThan(0);
    } finally {
      await mcp.close();
    }
  });
});

describe('what the operator reads at start-up', () => {
  it('warns when TRINO_PASSWORD would go to Trino over plain HTTP, and never prints it', async () => {
    const password = `pw-${randomUUID()}`;
    const server = await startHttpServer({ TRINO_PASSWORD: password, TRINO_SCHEME: 'http', TRINO_USER: 'svc_mcp', TRINO_ALLOW_INSECURE_AUTH: 'true' });
    try {
      const warning = server.logs().find((l) => l['level'] === 'warn' && String(l['msg']).includes('TRINO_PASSWORD'));
      expect(warning, server.stderr()).toBeDefined();
      expect(server.stderr()).not.toContain(password);
      expect(server.stderr()).not.toContain(Buffer.from(`svc_mcp:${password}`).toString('base64'));
    } finally {
      await server.stop();
    }
  });

  it('logs the JWKS URL without its query string or fragment', async () => {
    const key = `k3y-${randomUUID()}`;
    const server = await startHttpServer({
      OAUTH_ENABLED: 'true',
      OAUTH_PROVIDER: 'oidc',
      OIDC_ISSUER: 'http://127.0.0.1:9/realm',
      OIDC_JWKS_URL: `http://127.0.0.1:9/realm/keys?api_key=${key}#${key}`,
    });
    try {
      const ready = server.logs().find((l) => l['msg'] === 'token verification ready');
      expect(ready?.['jwksUrl']).toBe('http://127.0.0.1:9/realm/keys');
      expect(server.stderr()).not.toContain(key);
    } finally {
      await server.stop();
    }
  });
});
