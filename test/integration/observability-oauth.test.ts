/**
 * Readiness and metrics of the OAuth resource server, with a real authorization server
 * (oidc-provider): /readyz needs the provider's signing keys; refused authentications and
 * JWKS fetches are counted, by reason and by result, never with the token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../harness/trino-server.ts';
import { startTestIdp, type TestIdp } from '../harness/oidc-provider.ts';
import { startHttpServer, type HttpServerHandle } from '../support/http-server.ts';
import { postJsonRpc, TOOLS_LIST } from '../support/json-rpc.ts';

let idp: TestIdp;
const started: HttpServerHandle[] = [];
beforeAll(async () => {
  idp = await startTestIdp();
});
afterAll(async () => {
  await Promise.all(started.map((s) => s.stop()));
  await idp?.close();
});

async function oauthServer(env: Record<string, string>): Promise<HttpServerHandle> {
  const server = await startHttpServer({ OAUTH_ENABLED: 'true', OAUTH_PROVIDER: 'oidc', ...env });
  started.push(server);
  return server;
}

describe('OAuth readiness and metrics', () => {
  it('/readyz is ready once the verifier holds the provider keys, and 503 while the provider is away with none fetched', async () => {
    const server = await oauthServer({ OIDC_ISSUER: idp.issuer });
    const ready = await fetch(`${server.origin}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { trino: 'ok', keys: 'ok' } });

    const dead = `http://127.0.0.1:${await freePort()}`;
    const keyless = await oauthServer({ OIDC_ISSUER: dead, OIDC_JWKS_URL: `${dead}/jwks` });
    const res = await fetch(`${keyless.origin}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'not_ready', reason: 'keys: no_signing_keys', checks: { trino: 'ok', keys: 'no_signing_keys' } });
  });

  it('counts refused authentications by reason and JWKS fetches by result; the token never reaches /metrics', async () => {
    const server = await oauthServer({ OIDC_ISSUER: idp.issuer });
    const forged = 'eyJhbGciOiJSUzI1NiIsImtpZCI6Im5vcGUifQ.eyJzdWIiOiJtYWxsb3J5In0.c2lnbmF0dXJl';
    expect((await postJsonRpc(server.url, TOOLS_LIST)).status).toBe(401);
    expect((await postJsonRpc(server.url, TOOLS_LIST, { authorization: 'Basic abc' })).status).toBe(400);
    expect((await postJsonRpc(server.url, TOOLS_LIST, { authorization: `Bearer ${forged}` })).status).toBe(401);
    const token = await idp.clientCredentialsToken({ resource: server.url, scope: 'trino:read' });
    expect((await postJsonRpc(server.url, TOOLS_LIST, { authorization: `Bearer ${token}` })).status).toBe(200);
    const body = await (await fetch(`${server.origin}/metrics`)).text();
    expect(body).toMatch(/trino_mcp_auth_failures_total\{reason="no_token"\} 1\b/);
    expect(body).toMatch(/trino_mcp_auth_failures_total\{reason="malformed_header"\} 1\b/);
    expect(body).toMatch(/trino_mcp_auth_failures_total\{reason="invalid_token"\} 1\b/);
    expect(body).toMatch(/trino_mcp_jwks_refreshes_total\{result="ok"\} [1-9]/);
    expect(body).not.toContain(forged);
    expect(body).not.toContain(token);
  });
});
