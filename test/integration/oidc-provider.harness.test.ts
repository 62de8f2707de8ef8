import { createHash, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIdp, TEST_PUBLIC_CLIENT_ID, TEST_SERVICE_CLIENT_ID, type TestIdp } from '../harness/oidc-provider.ts';

interface Metadata {
  issuer: string;
  jwks_uri: string;
  token_endpoint: string;
  authorization_endpoint: string;
  registration_endpoint: string;
  code_challenge_methods_supported?: string[];
  scopes_supported?: string[];
}

const RESOURCE = 'http://127.0.0.1:12345/mcp';

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

describe('test IdP harness (oidc-provider)', () => {
  let idp: TestIdp;
  let meta: Metadata;

  // A fresh key set each time: jose's remote JWKS has a 30 s cooldown between refetches.
  const verify = (token: string, audience = RESOURCE) =>
    jwtVerify(token, createRemoteJWKSet(new URL(meta.jwks_uri)), { issuer: idp.issuer, audience, typ: 'at+jwt' });

  async function authorizationCodeToken(opts: {
    clientId: string;
    redirectUri: string;
    user: string;
    scope: string;
    sendResourceAtToken?: boolean;
    extraParams?: Record<string, string>;
  }): Promise<{ access_token: string; scope?: string; token_type: string }> {
    const { verifier, challenge } = pkce();
    const state = randomBytes(8).toString('hex');
    const auth = new URL(meta.authorization_endpoint);
    auth.search = new URLSearchParams({
      response_type: 'code',
      client_id: opts.clientId,
      redirect_uri: opts.redirectUri,
      scope: opts.scope,
      state,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      resource: RESOURCE,
      ...opts.extraParams,
    }).toString();

    const callback = await idp.loginAndConsent(auth.href, opts.user);
    expect(`${callback.origin}${callback.pathname}`).toBe(opts.redirectUri);
    expect(callback.searchParams.get('error')).toBeNull();
    expect(callback.searchParams.get('state')).toBe(state);
    expect(callback.searchParams.get('iss')).toBe(idp.issuer);
    const code = callback.searchParams.get('code');
    expect(code).toBeTruthy();

    const res = await fetch(meta.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: code!,
        redirect_uri: opts.redirectUri,
        client_id: opts.clientId,
        code_verifier: verifier,
        ...(opts.sendResourceAtToken === false ? {} : { resource: RESOURCE }),
      }),
    });
    const json = (await res.json()) as { access_token: string; scope?: string; token_type: string };
    expect(res.status, JSON.stringify(json)).toBe(200);
    return json;
  }

  beforeAll(async () => {
    idp = await startTestIdp();
    const res = await fetch(`${idp.issuer}/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    meta = (await res.json()) as Metadata;
  });
  afterAll(async () => {
    await idp?.close();
  });

  it('serves discovery at both well-known paths, on loopback', async () => {
    expect(idp.issuer).toBe(`http://127.0.0.1:${idp.port}`);
    expect(meta.issuer).toBe(idp.issuer);
    expect(meta.jwks_uri.startsWith(idp.issuer)).toBe(true);
    expect(meta.registration_endpoint).toBeTruthy();
    expect(meta.code_challenge_methods_supported).toEqual(['S256']);
    expect(meta.scopes_supported).toEqual(expect.arrayContaining(['openid', 'offline_access', 'trino:read', 'trino:write']));
    const oauth = await fetch(`${idp.issuer}/.well-known/oauth-authorization-server`);
    expect(oauth.status).toBe(200);
    expect(((await oauth.json()) as Metadata).issuer).toBe(idp.issuer);
  });

  it('client_credentials: a JWT for the requested resource that verifies against the JWKS', async () => {
    const token = await idp.clientCredentialsToken({ resource: RESOURCE, scope: 'trino:read' });
    const { payload, protectedHeader } = await verify(token);
    expect(protectedHeader.alg).toBe('RS256');
    expect(protectedHeader.kid).toBeTruthy();
    expect(payload).toMatchObject({ iss: idp.issuer, aud: RESOURCE, sub: TEST_SERVICE_CLIENT_ID, client_id: TEST_SERVICE_CLIENT_ID, scope: 'trino:read' });
    expect(payload.exp! - payload.iat!).toBe(600);

    const all = await verify(await idp.clientCredentialsToken({ resource: RESOURCE }));
    expect(all.payload.scope).toBe('trino:read trino:write');

    // Another resource: aud follows it, and a token for one resource does not verify for the other.
    const other = 'http://localhost:9999/other';
    const otherToken = await idp.clientCredentialsToken({ resource: other, scope: 'trino:write' });
    expect((await verify(otherToken, other)).payload.aud).toBe(other);
    await expect(verify(otherToken)).rejects.toThrow(/aud/);
  });

  it('client_credentials: non-URL resource refused, unknown scopes dropped, scopes beyond the client refused', async () => {
    await expect(idp.clientCredentialsToken({ resource: 'urn:example:thing' })).rejects.toThrow(/invalid_target/);
    // Scopes the server does not know are ignored (RFC 6749 lets the AS grant less): no scope claim.
    const unknown = await verify(await idp.clientCredentialsToken({ resource: RESOURCE, scope: 'trino:admin' }));
    expect(unknown.payload.scope).toBeUndefined();
    // Known scopes outside the client's registered `scope` are an error.
    await expect(idp.clientCredentialsToken({ resource: RESOURCE, scope: 'offline_access' })).rejects.toThrow(/invalid_scope/);
  });

  it('authorization code + PKCE (public client, any loopback port): a JWT with the user', async () => {
    const tokens = await authorizationCodeToken({
      clientId: TEST_PUBLIC_CLIENT_ID,
      redirectUri: 'http://127.0.0.1:43210/callback',
      user: 'alice',
      scope: 'openid trino:read',
    });
    expect(tokens.token_type).toBe('Bearer');
    const { payload } = await verify(tokens.access_token);
    expect(payload).toMatchObject({
      iss: idp.issuer,
      aud: RESOURCE,
      sub: 'alice',
      client_id: TEST_PUBLIC_CLIENT_ID,
      preferred_username: 'alice',
      email: 'alice@example.test',
      scope: 'trino:read',
    });
    expect(payload.exp! - payload.iat!).toBe(600);
  });

  it('authorization code: the token request may omit resource (granted resource is used); users are independent', async () => {
    const tokens = await authorizationCodeToken({
      clientId: TEST_PUBLIC_CLIENT_ID,
      redirectUri: 'http://localhost:5555/callback',
      user: 'bob',
      scope: 'openid trino:read trino:write',
      sendResourceAtToken: false,
    });
    const { payload } = await verify(tokens.access_token);
    expect(payload).toMatchObject({ aud: RESOURCE, sub: 'bob', email: 'bob@example.test', scope: 'trino:read trino:write' });
  });

  it('offline_access (with prompt=consent) gives a refresh token whose access tokens keep the resource', async () => {
    // OpenID Connect: offline_access is dropped unless the request has prompt=consent.
    const tokens = (await authorizationCodeToken({
      clientId: TEST_PUBLIC_CLIENT_ID,
      redirectUri: 'http://127.0.0.1:43211/callback',
      user: 'erin',
      scope: 'openid offline_access trino:read',
      extraParams: { prompt: 'consent' },
    })) as { access_token: string; refresh_token?: string };
    expect(tokens.refresh_token).toBeTruthy();
    const res = await fetch(meta.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: TEST_PUBLIC_CLIENT_ID }),
    });
    const refreshed = (await res.json()) as { access_token: string };
    expect(res.status, JSON.stringify(refreshed)).toBe(200);
    const { payload } = await verify(refreshed.access_token);
    expect(payload).toMatchObject({ aud: RESOURCE, sub: 'erin', scope: 'trino:read', email: 'erin@example.test' });
  });

  it('authorization code without PKCE is refused', async () => {
    const auth = new URL(meta.authorization_endpoint);
    auth.search = new URLSearchParams({
      response_type: 'code',
      client_id: TEST_PUBLIC_CLIENT_ID,
      redirect_uri: 'http://127.0.0.1/callback',
      scope: 'openid trino:read',
      resource: RESOURCE,
    }).toString();
    const callback = await idp.loginAndConsent(auth.href);
    expect(callback.searchParams.get('error')).toBe('invalid_request');
  });

  it('dynamic client registration: the registered client runs the code flow', async () => {
    const redirectUri = 'http://127.0.0.1:40001/oauth/callback';
    const res = await fetch(meta.registration_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'dcr test',
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
        scope: 'openid offline_access trino:read',
      }),
    });
    const client = (await res.json()) as { client_id: string; client_secret?: string };
    expect(res.status, JSON.stringify(client)).toBe(201);
    expect(client.client_id).toBeTruthy();
    expect(client.client_secret).toBeUndefined();

    const tokens = await authorizationCodeToken({ clientId: client.client_id, redirectUri, user: 'carol', scope: 'openid trino:read' });
    const { payload } = await verify(tokens.access_token);
    expect(payload).toMatchObject({ aud: RESOURCE, sub: 'carol', client_id: client.client_id, scope: 'trino:read' });
  });

  it('rotateKeys: new tokens use a new kid; old and new tokens verify against the JWKS', async () => {
    const before = await idp.clientCredentialsToken({ resource: RESOURCE });
    const oldKid = decodeProtectedHeader(before).kid;
    const jwksBefore = (await (await fetch(meta.jwks_uri)).json()) as { keys: { kid: string; d?: string }[] };

    await idp.rotateKeys();

    const after = await idp.clientCredentialsToken({ resource: RESOURCE });
    const newKid = decodeProtectedHeader(after).kid;
    expect(newKid).toBeTruthy();
    expect(newKid).not.toBe(oldKid);
    const jwks = (await (await fetch(meta.jwks_uri)).json()) as { keys: { kid: string; d?: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual([newKid, ...jwksBefore.keys.map((k) => k.kid)]);
    expect(jwks.keys.every((k) => k.d === undefined)).toBe(true);

    await expect(verify(before)).resolves.toBeTruthy();
    await expect(verify(after)).resolves.toBeTruthy();

    // Clients and state survive the rebuild: the code flow still works and signs with the new key.
    const tokens = await authorizationCodeToken({
      clientId: TEST_PUBLIC_CLIENT_ID,
      redirectUri: 'http://127.0.0.1/callback',
      user: 'dave',
      scope: 'trino:read',
    });
    expect(decodeProtectedHeader(tokens.access_token).kid).toBe(newKid);
    expect((await verify(tokens.access_token)).payload.sub).toBe('dave');
  });

  it('stop() refuses connections with state kept; start() answers again on the same port', async () => {
    const url = `${idp.issuer}/.well-known/openid-configuration`;
    await idp.stop();
    const err = await fetch(url).then(
      () => undefined,
      (e: unknown) => e as Error & { cause?: { code?: string } },
    );
    expect(err?.cause?.code).toBe('ECONNREFUSED');

    await idp.start();
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(((await res.json()) as Metadata).issuer).toBe(idp.issuer);
    const token = await idp.clientCredentialsToken({ resource: RESOURCE });
    const { payload }: { payload: JWTPayload } = await verify(token);
    expect(payload.sub).toBe(TEST_SERVICE_CLIENT_ID);
  });
});
