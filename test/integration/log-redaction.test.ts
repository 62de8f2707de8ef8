/**
 * Every secret, token and password the built server holds, fed through the paths that log
 * errors — Trino refusing the password, tokens refused, the identity provider unreachable,
 * `check` failing — and the whole output searched for it. Also the audit lines those paths
 * leave: one per tool call, one per refused authentication.
 */
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../harness/trino-server.ts';
import { startHttpServer, type HttpServerHandle } from '../support/http-server.ts';
import { connectHttp } from '../support/mcp-clients.ts';
import { runProcess, SERVER_BIN, serverEnv } from '../support/processes.ts';

const JWT_SECRET = 'S3CRET-JWT-0123456789abcdef0123456789abcdef';
const TRINO_PASSWORD = 'S3CRET-TRINO-PASSWORD-p4ss';
const JWKS_KEY = 'S3CRET-JWKS-API-KEY';

const servers: HttpServerHandle[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

function hmacToken(audience: string, secret = JWT_SECRET, expiresIn = '5m'): Promise<string> {
  return new SignJWT({ scope: 'trino:read' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('alice')
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));
}

async function post(url: string, token: string): Promise<number> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  });
  await res.arrayBuffer();
  return res.status;
}

function expectNone(text: string, secrets: readonly string[]) {
  for (const s of secrets) expect(text, `leaked: ${s.slice(0, 12)}…`).not.toContain(s);
}

describe('secrets never reach the log', () => {
  it('JWT_SECRET, TRINO_PASSWORD, the Basic header and every bearer token, through Trino and token failures', async () => {
    const server = await startHttpServer({ OAUTH_ENABLED: 'true', JWT_SECRET, TRINO_PASSWORD, TRINO_SSL: 'false', TRINO_ALLOW_INSECURE_AUTH: 'true' });
    servers.push(server);
    const good = await hmacToken(server.url);
    const forged = await hmacToken(server.url, 'another-secret-of-at-least-32-bytes!!');
    const expired = await hmacToken(server.url, JWT_SECRET, '-10m');

    // Trino refuses a password over plain HTTP: the call fails, its error is logged.
    const session = await connectHttp('v2 client, protocol 2026-07-28', server.url, { headers: { authorization: `Bearer ${good}` } });
    try {
      const result = await session.callTool('execute_query', { sql: 'SELECT 1' });
      expect(result.structuredContent?.['code']).toBe('ENGINE_UNAVAILABLE');
    } finally {
      await session.close();
    }
    expect(await post(server.url, forged)).toBe(401);
    expect(await post(server.url, expired)).toBe(401);
    expect(await post(server.url, 'not.a.jwt')).toBe(401);

    const basic = Buffer.from(`trino-mcp-it:${TRINO_PASSWORD}`).toString('base64');
    expectNone(server.stderr(), [JWT_SECRET, TRINO_PASSWORD, basic, good, forged, expired, 'not.a.jwt']);

    const logs = server.logs();
    const calls = logs.filter((l) => l['msg'] === 'tool call');
    expect(calls).toEqual([
      expect.objectContaining({ audit: 'tool_call', tool: 'execute_query', user: 'alice', outcome: 'ENGINE_UNAVAILABLE', bytes: expect.any(Number), durationMs: expect.any(Number) }),
    ]);
    const refused = logs.filter((l) => l['msg'] === 'authentication refused' && l['reason'] === 'invalid_token');
    expect(refused).toHaveLength(3);
    for (const r of refused) expect(Object.keys(r).sort()).toEqual(['audit', 'description', 'level', 'msg', 'path', 'reason', 'time']);
  });

  it('the API key in OIDC_JWKS_URL, when the identity provider is unreachable', async () => {
    const dead = await freePort();
    const issuer = `http://127.0.0.1:${dead}`;
    const server = await startHttpServer({ OAUTH_ENABLED: 'true', OIDC_ISSUER: issuer, OIDC_JWKS_URL: `${issuer}/jwks?key=${JWKS_KEY}` });
    servers.push(server);
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const kid = (await exportJWK(publicKey)).n!.slice(0, 8);
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid })
      .setSubject('alice')
      .setIssuer(issuer)
      .setAudience(server.url)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
    expect(await post(server.url, token)).toBe(503);
    expect(server.logs().some((l) => l['msg'] === 'authentication refused' && l['reason'] === 'provider_unavailable')).toBe(true);
    expectNone(server.stderr(), [JWKS_KEY, token]);
  });

  it('trino-mcp check, when Trino refuses the password', async () => {
    const r = await runProcess(process.execPath, [SERVER_BIN, 'check'], { env: serverEnv({ TRINO_PASSWORD, TRINO_SSL: 'false', TRINO_ALLOW_INSECURE_AUTH: 'true' }) });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL trino: .*TRINO_PASSWORD/m);
    expectNone(r.stdout + r.stderr, [TRINO_PASSWORD, Buffer.from(`trino-mcp-it:${TRINO_PASSWORD}`).toString('base64')]);
  });
});
