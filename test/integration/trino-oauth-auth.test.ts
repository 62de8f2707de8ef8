/**
 * OAuth towards Trino with a real Keycloak: the client credentials grant (this server as
 * itself) and RFC 8693 token exchange (each MCP caller as themselves, through one server).
 * Trino checks every token itself (JWT authentication, issuer and audience) and applies
 * its access rules per user; the realm gives these clients 4-second tokens, so a refresh
 * happens within a few calls, without sleeping.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_MEMORY_USER, TRINO_AUDIENCE } from '../harness/trino-auth-etc.ts';
import { freePort } from '../harness/trino-server.ts';
import { startHttpServer, stopAllHttpServers, type HttpServerHandle } from '../support/http-server.ts';
import { connectHttp, connectStdio, GENERATIONS, type McpSession } from '../support/mcp-clients.ts';
import { authSetup, httpsEnv, issuedCount, logoutEverywhere, userToken } from '../support/trino-auth.ts';
import { poll } from '../support/wait.ts';

const SVC = { TRINO_OAUTH_CLIENT_ID: 'trino-svc', TRINO_OAUTH_CLIENT_SECRET: 'trino-svc-secret' };
const EXCHANGER = { TRINO_OAUTH_CLIENT_ID: 'trino-mcp', TRINO_OAUTH_CLIENT_SECRET: 'trino-mcp-exchange-secret' };

async function currentUser(mcp: McpSession): Promise<{ user?: string; code?: string; message?: string; rule?: string; retryable?: boolean }> {
  const r = await mcp.callTool('execute_query', { sql: 'SELECT current_user' });
  const s = r.structuredContent ?? {};
  if (r.isError) return { code: String(s['code']), message: String(s['message']), rule: s['rule'] as string, retryable: s['retryable'] as boolean };
  return { user: String((s['rows'] as unknown[][])[0]![0]) };
}

/** Calls until Keycloak has issued a further token; every call must succeed meanwhile, as the same user. */
async function callsAcrossRefresh(call: () => Promise<{ user?: string }>, issued: () => Promise<number>, expectedUser: string): Promise<void> {
  // The first call holds a token (obtained now or cached): count from there.
  const seen: Array<{ user?: string }> = [await call()];
  const before = await issued();
  const after = await poll(
    async () => {
      seen.push(await call());
      return issued();
    },
    (n) => n >= before + 1,
    { timeoutMs: 30_000, intervalMs: 250 },
  );
  expect(after).toBeGreaterThanOrEqual(before + 1);
  expect(seen.length).toBeGreaterThan(1);
  expect(seen.every((r) => r.user === expectedUser)).toBe(true);
}

afterAll(stopAllHttpServers);

describe('TRINO_AUTH=client_credentials', () => {
  const env = (extra: Record<string, string> = {}) =>
    httpsEnv({ TRINO_AUTH: 'client_credentials', TRINO_OAUTH_ISSUER: authSetup().issuer, TRINO_OAUTH_AUDIENCE: TRINO_AUDIENCE, ...SVC, ...extra });

  it.each(GENERATIONS)('Trino sees the service account of the client (issuer discovery) (%s)', async (generation) => {
    const mcp = await connectStdio(generation, env());
    try {
      expect(await currentUser(mcp)).toEqual({ user: 'service-account-trino-svc' });
    } finally {
      await mcp.close();
    }
  });

  it('a token expiring is replaced before Trino sees it expire: no call fails', async () => {
    const mcp = await connectStdio(GENERATIONS[0]!, env());
    try {
      await callsAcrossRefresh(() => currentUser(mcp), () => issuedCount('CLIENT_LOGIN', 'trino-svc'), 'service-account-trino-svc');
    } finally {
      await mcp.close();
    }
  });

  it('a wrong client secret: the identity provider refuses, and the message names the client variables', async () => {
    const mcp = await connectStdio(GENERATIONS[0]!, env({ TRINO_OAUTH_CLIENT_SECRET: 'not-the-secret', TRINO_OAUTH_TOKEN_URL: `${authSetup().issuer}/protocol/openid-connect/token` }));
    try {
      const r = await currentUser(mcp);
      expect(r).toMatchObject({ code: 'ENGINE_UNAVAILABLE', retryable: false });
      expect(r.message).toContain('TRINO_OAUTH_CLIENT_SECRET');
      expect(r.message).not.toContain('not-the-secret');
    } finally {
      await mcp.close();
    }
  });
});

/** A server verifying Keycloak's user tokens and exchanging them for Trino's; `endpoint` says where the exchange goes. */
function exchangeEnv(issuer: string, endpoint: { TRINO_OAUTH_ISSUER: string } | { TRINO_OAUTH_TOKEN_URL: string }): Record<string, string> {
  return httpsEnv({
    OAUTH_ENABLED: 'true',
    OAUTH_PROVIDER: 'keycloak',
    OIDC_ISSUER: issuer,
    OIDC_AUDIENCE: 'trino-mcp',
    TRINO_AUTH: 'token_exchange',
    ...endpoint,
    TRINO_OAUTH_AUDIENCE: TRINO_AUDIENCE,
    ...EXCHANGER,
  });
}

describe('TRINO_AUTH=token_exchange: each caller reaches Trino as themselves', () => {
  let server: HttpServerHandle;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    const { issuer } = authSetup();
    server = await startHttpServer(
      exchangeEnv(issuer, { TRINO_OAUTH_ISSUER: issuer }),
    );
    tokens['alice'] = await userToken('kc_alice', 'alice-password');
    tokens['bob'] = await userToken('kc_bob', 'bob-password');
  });

  const as = (token: string, generation = GENERATIONS[0]!) => connectHttp(generation, server.url, { headers: { Authorization: `Bearer ${token}` } });

  it.each(GENERATIONS)('two users through the same server: current_user is each one\'s own name (%s)', async (generation) => {
    const [alice, bob] = await Promise.all([as(tokens['alice']!, generation), as(tokens['bob']!, generation)]);
    try {
      const [a, b] = await Promise.all([currentUser(alice), currentUser(bob)]);
      expect(a).toEqual({ user: 'kc_alice' });
      expect(b).toEqual({ user: 'kc_bob' });
    } finally {
      await Promise.all([alice.close(), bob.close()]);
    }
  });

  it('Trino applies its access rules to the user: kc_bob may not read the memory catalog, kc_alice may', async () => {
    const [alice, bob] = await Promise.all([as(tokens['alice']!), as(tokens['bob']!)]);
    try {
      const sql = 'SELECT count(*) FROM memory.information_schema.schemata';
      expect((await alice.callTool('execute_query', { sql })).isError).toBeFalsy();
      const denied = await bob.callTool('execute_query', { sql });
      expect(denied.isError).toBe(true);
      expect(String(denied.structuredContent?.['message'])).toMatch(/Access Denied/i);
      expect(NO_MEMORY_USER).toBe('kc_bob');
    } finally {
      await Promise.all([alice.close(), bob.close()]);
    }
  });

  it('a user whose exchange the identity provider refuses gets a clear tool error; the other user\'s call still works', async () => {
    const mallory = await userToken('kc_mallory', 'mallory-password');
    // Her token still verifies here (it has not expired), but Keycloak ended her sessions and will not exchange it.
    await logoutEverywhere('kc_mallory');
    const [m, a] = await Promise.all([as(mallory), as(tokens['alice']!)]);
    try {
      const refused = await currentUser(m);
      expect(refused).toMatchObject({ code: 'POLICY_DENIED', rule: 'TOKEN_EXCHANGE' });
      expect(refused.message).toMatch(/identity provider refused/);
      expect(refused.message).not.toContain(mallory);
      expect(await currentUser(a)).toEqual({ user: 'kc_alice' });
    } finally {
      await Promise.all([m.close(), a.close()]);
    }
  });

  it('an exchanged token about to expire is exchanged again before Trino sees it expire: no call fails', async () => {
    const alice = await as(tokens['alice']!);
    try {
      await callsAcrossRefresh(() => currentUser(alice), () => issuedCount('TOKEN_EXCHANGE', 'trino-mcp', 'kc_alice'), 'kc_alice');
    } finally {
      await alice.close();
    }
  });

  it('neither the caller\'s token nor an exchanged one reaches the log', async () => {
    const log = server.stderr();
    for (const t of Object.values(tokens)) expect(log).not.toContain(t);
    expect(log).not.toContain('trino-mcp-exchange-secret');
    expect(log).toMatch(/"mode":"token_exchange"/);
  });

  it('the identity provider down: ENGINE_UNAVAILABLE, retryable', async () => {
    const { issuer } = authSetup();
    const dead = await freePort();
    const down = await startHttpServer(
      exchangeEnv(issuer, { TRINO_OAUTH_TOKEN_URL: `http://127.0.0.1:${dead}/token` }),
    );
    const mcp = await connectHttp(GENERATIONS[0]!, down.url, { headers: { Authorization: `Bearer ${tokens['alice']}` } });
    try {
      expect(await currentUser(mcp)).toMatchObject({ code: 'ENGINE_UNAVAILABLE', retryable: true });
    } finally {
      await mcp.close();
      await down.stop();
    }
  });
});
