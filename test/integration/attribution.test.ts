/**
 * Who Trino sees: the service user with the caller as attribution, or, with
 * TRINO_IMPERSONATE=true, the caller's own claim as the session user. The user's token is
 * never sent to Trino.
 */
import { SignJWT } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { startHttpServer, stopAllHttpServers } from '../support/http-server.ts';
import { connectHttp } from '../support/mcp-clients.ts';
import { findQuery, trinoQueryInfo, uniqueName } from '../support/trino-sql.ts';

const SECRET = 'attribution-test-secret-0123456789abcdef';

async function tokenFor(server: { url: string }, claims: Record<string, unknown>) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('user-123')
    .setAudience(server.url)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(SECRET));
}

afterAll(stopAllHttpServers);

describe('attribution and impersonation on real Trino', () => {
  it('runs as TRINO_USER with trino-mcp as the source, and sends no token to Trino', async () => {
    const server = await startHttpServer({ OAUTH_ENABLED: 'true', OAUTH_PROVIDER: 'hmac', JWT_SECRET: SECRET, TRINO_USER: 'svc_mcp' });
    const token = await tokenFor(server, { preferred_username: 'carol' });
    const mcp = await connectHttp('v1 client (@modelcontextprotocol/sdk)', server.url, { headers: { Authorization: `Bearer ${token}` } });
    const marker = uniqueName('attr');
    try {
      const r = await mcp.callTool('execute_query', { sql: `SELECT '${marker}'` });
      expect(r.isError).toBeFalsy();
    } finally {
      await mcp.close();
    }
    const q = await findQuery(marker);
    expect(q.user).toBe('svc_mcp');
    expect(q.source).toMatch(/^trino-mcp\/\d+\.\d+\.\d+/);
    expect(q.query).not.toContain(token);
    // The SQL is the caller's, so the token could only travel in the session (client info,
    // tags, credentials): search all of what Trino recorded about the query for its signature.
    const info = await trinoQueryInfo(q.queryId);
    expect(info.session['user']).toBe('svc_mcp');
    expect(JSON.stringify(info)).not.toContain(token.split('.')[2]);
    const log = server.logs().find((l) => l['msg'] === 'tool call');
    expect(log).toMatchObject({ tool: 'execute_query', user: 'user-123', via: 'http', outcome: 'ok' });
    expect(server.stderr()).not.toContain(token);
  });

  it('with TRINO_IMPERSONATE=true the claim becomes the Trino session user', async () => {
    const server = await startHttpServer({
      OAUTH_ENABLED: 'true',
      OAUTH_PROVIDER: 'hmac',
      JWT_SECRET: SECRET,
      TRINO_IMPERSONATE: 'true',
      TRINO_IMPERSONATION_CLAIM: 'preferred_username',
    });
    const marker = uniqueName('imp');
    const withClaim = await connectHttp('v2 client, protocol 2026-07-28', server.url, {
      headers: { Authorization: `Bearer ${await tokenFor(server, { preferred_username: 'carol' })}` },
    });
    try {
      expect((await withClaim.callTool('execute_query', { sql: `SELECT '${marker}'` })).isError).toBeFalsy();
    } finally {
      await withClaim.close();
    }
    expect((await findQuery(marker)).user).toBe('carol');

    const without = await connectHttp('v2 client, protocol 2026-07-28', server.url, {
      headers: { Authorization: `Bearer ${await tokenFor(server, {})}` },
    });
    try {
      const r = await without.callTool('execute_query', { sql: 'SELECT 1' });
      expect(r.structuredContent).toMatchObject({ code: 'POLICY_DENIED', rule: 'IMPERSONATION' });
    } finally {
      await without.close();
    }
  });
});
