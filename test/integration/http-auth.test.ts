/**
 * Black-box OAuth 2.1 resource-server conformance of the built server over HTTP, against a
 * real OpenID provider (test/harness/oidc-provider.ts) and a real Trino: RFC 6750 bearer
 * challenges, RFC 9728 protected-resource metadata, RFC 8707 audiences, RFC 8414 metadata,
 * key rotation and an unreachable identity provider, and the start-up refusals.
 *
 * Every refusal is checked for its status, the parsed `WWW-Authenticate` parameters and
 * `Cache-Control: no-store`; never for the wording of a description.
 */
import { generateKeyPair, importJWK, exportSPKI, SignJWT, UnsecuredJWT, type JWK, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIdp, TEST_SERVICE_CLIENT_ID, type TestIdp } from '../harness/oidc-provider.ts';
import { freePort } from '../harness/trino-server.ts';
import { parseChallenge } from '../support/challenge.ts';
import { plainLines, startHttpServer, startHttpServerExpectingExit, stopAllHttpServers, type HttpServerHandle } from '../support/http-server.ts';
import { INITIALIZE, JSON_RPC_HEADERS, postJsonRpc, TOOLS_LIST } from '../support/json-rpc.ts';
import { connectHttp, GENERATIONS, PROTOCOL_VERSION, type Generation } from '../support/mcp-clients.ts';

// ------------------------------------------------------------------------------------------
// helpers

/** POSTs one JSON-RPC message to `url` with the given Authorization header (or none). */
function post(url: string, authorization?: string, body: unknown = TOOLS_LIST, extra: Record<string, string> = {}): Promise<Response> {
  return postJsonRpc(url, body, { ...(authorization !== undefined ? { authorization } : {}), ...extra });
}

interface Refusal {
  status: number;
  error?: string | undefined;
  scope?: string | undefined;
}

/** Asserts an RFC 6750 refusal and returns the challenge's parameters. */
async function expectRefusal(res: Response, server: HttpServerHandle, want: Refusal): Promise<Record<string, string>> {
  const body = await res.text();
  expect(res.status, body).toBe(want.status);
  expect(res.headers.get('cache-control')).toBe('no-store');
  const { scheme, params } = parseChallenge(res.headers.get('www-authenticate'));
  expect(scheme).toBe('Bearer');
  expect(params['resource_metadata']).toBe(`${server.origin}/.well-known/oauth-protected-resource/mcp`);
  const json = JSON.parse(body) as Record<string, unknown>;
  expect(typeof json['error']).toBe('string');
  expect(typeof json['error_description']).toBe('string');
  if (want.error === undefined) {
    // RFC 6750 §3.1: a request without authentication information gets no error code.
    expect(params).not.toHaveProperty('error');
    expect(params).not.toHaveProperty('error_description');
  } else {
    expect(params['error']).toBe(want.error);
    expect(json['error']).toBe(want.error);
  }
  if (want.scope === undefined) expect(params).not.toHaveProperty('scope');
  else expect(params['scope']).toBe(want.scope);
  return params;
}

/** list_catalogs through a client of `generation` with the token in the Authorization header. */
async function listCatalogs(generation: Generation, url: string, token: string): Promise<unknown> {
  const client = await connectHttp(generation, url, { headers: { Authorization: `Bearer ${token}` } });
  try {
    expect(client.protocolVersion()).toBe(PROTOCOL_VERSION[generation]);
    const r = await client.callTool('list_catalogs');
    expect(r.isError).toBeFalsy();
    return r.structuredContent?.['catalogs'];
  } finally {
    await client.close();
  }
}

/** Starts a server with an explicit port and MCP_URL (the RFC 8707 resource tokens are issued for). */
async function oauthServer(env: Record<string, string>): Promise<HttpServerHandle> {
  const port = await freePort();
  return startHttpServer({ MCP_PORT: String(port), MCP_URL: `http://127.0.0.1:${port}/mcp`, OAUTH_ENABLED: 'true', ...env });
}

const nowSec = () => Math.floor(Date.now() / 1000);
const HMAC_SECRET = 'an-hmac-secret-of-at-least-32-bytes!!';
const HMAC_ISSUER = 'https://issuer.example';

function hmacToken(claims: Record<string, unknown>, opts: { secret?: string; alg?: string } = {}): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: opts.alg ?? 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode(opts.secret ?? HMAC_SECRET));
}

/** Replaces the last character of the signature: same header and claims, wrong signature. */
function tamperSignature(token: string): string {
  const [h, p, s] = token.split('.') as [string, string, string];
  const i = Math.floor(s.length / 2);
  return `${h}.${p}.${s.slice(0, i)}${s[i] === 'A' ? 'B' : 'A'}${s.slice(i + 1)}`;
}

/** The IdP cannot be reached and no cached key fits: 503, Retry-After (30 s), no-store, a JSON error body. */
async function expectProviderUnavailable(res: Response): Promise<void> {
  const body = await res.text();
  expect(res.status, body).toBe(503);
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(res.headers.get('retry-after')).toBe('30');
  expect(typeof (JSON.parse(body) as Record<string, unknown>)['error']).toBe('string');
}

async function waitUntil(ts: number): Promise<void> {
  const ms = ts - Date.now();
  if (ms > 0) await new Promise((r) => setTimeout(r, ms));
}

// ------------------------------------------------------------------------------------------

describe('OAuth resource server over HTTP (real IdP, real Trino)', () => {
  let idp: TestIdp;
  let otherIdp: TestIdp;
  /** OIDC via discovery, no required scopes. */
  let oidc: HttpServerHandle;
  /** OIDC via discovery, OAUTH_REQUIRED_SCOPES=trino:read, enabled through the TRINO_OAUTH_ENABLED alias. */
  let scoped: HttpServerHandle;
  /** JWKS of the IdP but another expected issuer (OIDC_JWKS_URL skips discovery). */
  let otherIssuer: HttpServerHandle;
  /** HMAC with an issuer and a 5 s clock tolerance. */
  let hmac: HttpServerHandle;
  let jwksUri: string;

  beforeAll(async () => {
    [idp, otherIdp] = await Promise.all([startTestIdp(), startTestIdp()]);
    jwksUri = ((await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as { jwks_uri: string }).jwks_uri;
    [oidc, scoped, otherIssuer, hmac] = await Promise.all([
      oauthServer({ OAUTH_PROVIDER: 'oidc', OIDC_ISSUER: idp.issuer }),
      oauthServer({ OAUTH_ENABLED: '', TRINO_OAUTH_ENABLED: 'true', OAUTH_PROVIDER: 'oidc', OIDC_ISSUER: idp.issuer, OAUTH_REQUIRED_SCOPES: 'trino:read' }),
      oauthServer({ OAUTH_PROVIDER: 'oidc', OIDC_ISSUER: 'https://issuer.example', OIDC_JWKS_URL: jwksUri }),
      oauthServer({ OAUTH_PROVIDER: 'hmac', JWT_SECRET: HMAC_SECRET, OIDC_ISSUER: HMAC_ISSUER, OAUTH_CLOCK_TOLERANCE: '5' }),
    ]);
  }, 60_000);

  afterAll(async () => {
    await stopAllHttpServers();
    await Promise.all([idp?.close(), otherIdp?.close()]);
  });

  const validToken = (server: HttpServerHandle, scope?: string) => idp.clientCredentialsToken({ resource: server.url, ...(scope ? { scope } : {}) });

  describe('requests without a token (RFC 6750 §3.1)', () => {
    it('no Authorization → 401 Bearer challenge with resource_metadata and no error code', async () => {
      await expectRefusal(await post(oidc.url), oidc, { status: 401 });
    });

    it('with OAUTH_REQUIRED_SCOPES the challenge names the scope', async () => {
      await expectRefusal(await post(scoped.url), scoped, { status: 401, scope: 'trino:read' });
    });

    it('every MCP request is authenticated: initialize, tools/list, GET /mcp', async () => {
      await expectRefusal(await post(oidc.url, undefined, INITIALIZE), oidc, { status: 401 });
      await expectRefusal(await post(oidc.url, undefined, TOOLS_LIST), oidc, { status: 401 });
      await expectRefusal(await fetch(oidc.url, { headers: { accept: 'text/event-stream' } }), oidc, { status: 401 });
    });

    it('a browser on an allowed origin can read the challenge (CORS exposes WWW-Authenticate on the 401)', async () => {
      const res = await post(oidc.url, undefined, TOOLS_LIST, { origin: 'http://localhost:3000' });
      await expectRefusal(res, oidc, { status: 401 });
      expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
      const exposed = (res.headers.get('access-control-expose-headers') ?? '').split(',').map((h) => h.trim().toLowerCase());
      expect(exposed).toContain('www-authenticate');
    });

    it('POST /sse is guarded too, pointing at the metadata of the /sse resource', async () => {
      const res = await post(`${oidc.origin}/sse`);
      expect(res.status).toBe(401);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const { params } = parseChallenge(res.headers.get('www-authenticate'));
      expect(params['resource_metadata']).toBe(`${oidc.origin}/.well-known/oauth-protected-resource/sse`);
      expect(params).not.toHaveProperty('error');
      await res.body?.cancel();
    });
  });

  describe('malformed requests → 400 invalid_request', () => {
    it.each([
      ['Basic credentials', 'Basic dXNlcjpwYXNz'],
      ['Bearer without a token', 'Bearer'],
      ['Bearer with a space-separated second word', 'Bearer a b'],
      ['a lower-case scheme followed by nothing but spaces', 'bearer    '],
    ])('%s → 400', async (_name, header) => {
      await expectRefusal(await post(oidc.url, header), oidc, { status: 400, error: 'invalid_request' });
    });

    it('?access_token= in the URL → 400 invalid_request, alone and together with a valid header', async () => {
      const token = await validToken(oidc);
      await expectRefusal(await post(`${oidc.url}?access_token=${token}`), oidc, { status: 400, error: 'invalid_request' });
      await expectRefusal(await post(`${oidc.url}?access_token=${token}`, `Bearer ${token}`), oidc, { status: 400, error: 'invalid_request' });
    });
  });

  describe('invalid tokens → 401 invalid_token', () => {
    it('a token signed by the IdP with a tampered signature', async () => {
      const token = await validToken(oidc);
      await expectRefusal(await post(oidc.url, `Bearer ${tamperSignature(token)}`), oidc, { status: 401, error: 'invalid_token' });
    });

    it('a token the IdP issued for another resource (audience mismatch, RFC 8707)', async () => {
      const token = await idp.clientCredentialsToken({ resource: 'http://127.0.0.1:1/other' });
      await expectRefusal(await post(oidc.url, `Bearer ${token}`), oidc, { status: 401, error: 'invalid_token' });
    });

    it('a validly signed IdP token whose issuer is not the configured one', async () => {
      const token = await idp.clientCredentialsToken({ resource: otherIssuer.url });
      await expectRefusal(await post(otherIssuer.url, `Bearer ${token}`), otherIssuer, { status: 401, error: 'invalid_token' });
    });

    it('a token of another IdP (a key the server does not know)', async () => {
      const token = await otherIdp.clientCredentialsToken({ resource: oidc.url });
      await expectRefusal(await post(oidc.url, `Bearer ${token}`), oidc, { status: 401, error: 'invalid_token' });
    });

    it.each([
      ['a single word', 'garbage'],
      ['three dotted parts', 'a.b.c'],
      ['base64 junk', 'eyJhbGciOiJSUzI1NiJ9.e30.AAAA'],
    ])('garbage: %s', async (_name, token) => {
      await expectRefusal(await post(oidc.url, `Bearer ${token}`), oidc, { status: 401, error: 'invalid_token' });
    });

    it('alg: none (unsecured JWT with the right claims)', async () => {
      const token = new UnsecuredJWT({ sub: 'mallory', scope: 'trino:read' })
        .setIssuer(idp.issuer)
        .setAudience(oidc.url)
        .setIssuedAt()
        .setExpirationTime('5m')
        .encode();
      await expectRefusal(await post(oidc.url, `Bearer ${token}`), oidc, { status: 401, error: 'invalid_token' });
    });

    it("algorithm confusion: HS256 signed with the IdP's public key", async () => {
      const sample = await validToken(oidc);
      const kid = decodeProtectedHeader(sample).kid!;
      const jwks = (await (await fetch(jwksUri)).json()) as { keys: JWK[] };
      const jwk = jwks.keys.find((k) => k.kid === kid)!;
      const publicKey = await importJWK({ ...jwk, alg: 'RS256' }, 'RS256', { extractable: true });
      const pem = await exportSPKI(publicKey as Parameters<typeof exportSPKI>[0]);
      const claims = { iss: idp.issuer, aud: oidc.url, sub: 'mallory', scope: 'trino:read', iat: nowSec(), exp: nowSec() + 300 };
      for (const secret of [pem, JSON.stringify(jwk)]) {
        const token = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid }).sign(new TextEncoder().encode(secret));
        await expectRefusal(await post(oidc.url, `Bearer ${token}`), oidc, { status: 401, error: 'invalid_token' });
      }
    });

    it('HMAC server: a valid token passes (the control for the cases below)', async () => {
      const token = await hmacToken({ iss: HMAC_ISSUER, aud: hmac.url, sub: 'alice', iat: nowSec(), exp: nowSec() + 300 });
      const res = await post(hmac.url, `Bearer ${token}`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('list_catalogs');
    });

    it.each([
      ['expired (beyond the clock tolerance)', { exp: -120 }],
      ['without exp', { exp: undefined }],
      ['nbf in the future (beyond the clock tolerance)', { nbf: 120 }],
      ['without sub', { sub: undefined }],
      ['wrong issuer', { iss: 'https://evil.example' }],
      ['wrong audience', { aud: 'http://127.0.0.1:1/other' }],
    ] as Array<[string, Record<string, unknown>]>)('HMAC server: a token %s', async (_name, change) => {
      const claims: Record<string, unknown> = { iss: HMAC_ISSUER, aud: hmac.url, sub: 'alice', iat: nowSec(), exp: nowSec() + 300 };
      for (const [k, v] of Object.entries(change)) {
        if (v === undefined) delete claims[k];
        else if (k === 'exp' || k === 'nbf') claims[k] = nowSec() + (v as number);
        else claims[k] = v;
      }
      const token = await hmacToken(claims);
      await expectRefusal(await post(hmac.url, `Bearer ${token}`), hmac, { status: 401, error: 'invalid_token' });
    });

    it('HMAC server: signed with another secret, or with alg none', async () => {
      const claims = { iss: HMAC_ISSUER, aud: hmac.url, sub: 'alice', exp: nowSec() + 300 };
      const wrong = await hmacToken(claims, { secret: 'another-secret-of-at-least-32-bytes!!!' });
      await expectRefusal(await post(hmac.url, `Bearer ${wrong}`), hmac, { status: 401, error: 'invalid_token' });
      const none = new UnsecuredJWT(claims).encode();
      await expectRefusal(await post(hmac.url, `Bearer ${none}`), hmac, { status: 401, error: 'invalid_token' });
    });
  });

  describe('2024-11-05 HTTP+SSE (GET /sse + POST /messages)', () => {
    const hmacFor = (sub: string) => hmacToken({ iss: HMAC_ISSUER, aud: `${hmac.origin}/sse`, sub, exp: nowSec() + 300 });

    it('GET /sse without a token → 401 challenge naming the /sse metadata', async () => {
      const res = await fetch(`${hmac.origin}/sse`, { headers: { accept: 'text/event-stream' } });
      await res.text();
      expect(res.status).toBe(401);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(parseChallenge(res.headers.get('www-authenticate')).params['resource_metadata']).toBe(
        `${hmac.origin}/.well-known/oauth-protected-resource/sse`,
      );
    });

    it('a session is bound to the subject that opened it: another subject gets 404, no token 401', async () => {
      const abort = new AbortController();
      const stream = await fetch(`${hmac.origin}/sse`, {
        headers: { accept: 'text/event-stream', authorization: `Bearer ${await hmacFor('alice')}` },
        signal: abort.signal,
      });
      try {
        expect(stream.status).toBe(200);
        const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
        let text = '';
        const readUntil = async (needle: RegExp) => {
          const deadline = Date.now() + 10_000;
          while (!needle.test(text) && Date.now() < deadline) {
            const { value, done } = await reader.read();
            if (done) break;
            text += value;
          }
          return needle.exec(text);
        };
        const endpoint = (await readUntil(/event: endpoint\ndata: (\S+)\n/))?.[1];
        expect(endpoint).toMatch(/^\/messages\?sessionId=/);
        const url = `${hmac.origin}${endpoint}`;
        const asBob = await post(url, `Bearer ${await hmacFor('bob')}`, TOOLS_LIST);
        await asBob.text();
        expect(asBob.status).toBe(404);
        const anonymous = await post(url, undefined, TOOLS_LIST);
        await anonymous.text();
        expect(anonymous.status).toBe(401);
        const asAlice = await post(url, `Bearer ${await hmacFor('alice')}`, TOOLS_LIST);
        await asAlice.text();
        expect(asAlice.status).toBe(202);
        expect(await readUntil(/event: message\ndata: .*"list_catalogs"/)).toBeTruthy();
      } finally {
        abort.abort();
      }
    });
  });

  describe('scopes', () => {
    it('a token without the required scope → 403 insufficient_scope naming it', async () => {
      const token = await validToken(scoped, 'trino:write');
      await expectRefusal(await post(scoped.url, `Bearer ${token}`), scoped, { status: 403, error: 'insufficient_scope', scope: 'trino:read' });
    });

    it('a token with the required scope is served', async () => {
      const token = await validToken(scoped, 'trino:read');
      const res = await post(scoped.url, `Bearer ${token}`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('list_catalogs');
    });
  });

  describe('valid tokens: both client generations over streamable HTTP', () => {
    it.each(GENERATIONS)('%s: list_catalogs has tpch and memory from the real Trino', async (generation) => {
      const catalogs = await listCatalogs(generation, oidc.url, await validToken(oidc));
      expect(catalogs).toEqual(expect.arrayContaining(['tpch', 'memory']));
    });

    it('the tool call is attributed to the token subject in the log', async () => {
      await listCatalogs('v1 client (@modelcontextprotocol/sdk)', scoped.url, await validToken(scoped, 'trino:read'));
      const calls = scoped.logs().filter((l) => l['msg'] === 'tool call' && l['tool'] === 'list_catalogs');
      expect(calls.at(-1)).toMatchObject({ user: TEST_SERVICE_CLIENT_ID, outcome: 'ok' });
    });

    it('tokens never reach the log', async () => {
      const token = await validToken(oidc);
      await (await post(oidc.url, `Bearer ${token}`)).text();
      await (await post(oidc.url, `Bearer ${tamperSignature(token)}`)).text();
      const signature = token.split('.')[2]!;
      expect(oidc.stderr()).not.toContain(signature);
    });
  });

  describe('metadata', () => {
    it.each(['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp'])(
      'RFC 9728 %s: public, names the resource and the IdP',
      async (path) => {
        for (const server of [oidc, scoped]) {
          const res = await fetch(`${server.origin}${path}`);
          expect(res.status).toBe(200);
          expect(res.headers.get('content-type')).toMatch(/^application\/json/);
          const doc = (await res.json()) as Record<string, unknown>;
          expect(doc).toMatchObject({
            resource: server.url,
            authorization_servers: [idp.issuer],
            bearer_methods_supported: ['header'],
          });
          expect(Array.isArray(doc['scopes_supported'])).toBe(true);
        }
        const doc = (await (await fetch(`${scoped.origin}${path}`)).json()) as Record<string, unknown>;
        expect(doc['scopes_supported']).toEqual(['trino:read']);
      },
    );

    it('RFC 9728 /.well-known/oauth-protected-resource/sse names the /sse resource', async () => {
      const res = await fetch(`${oidc.origin}/.well-known/oauth-protected-resource/sse`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ resource: `${oidc.origin}/sse`, authorization_servers: [idp.issuer], bearer_methods_supported: ['header'] });
    });

    it('a token issued for the /sse resource is accepted (RFC 8707: the endpoint the client addressed)', async () => {
      const token = await idp.clientCredentialsToken({ resource: `${oidc.origin}/sse` });
      const res = await post(`${oidc.origin}/sse`, `Bearer ${token}`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('list_catalogs');
    });

    it('the resource_metadata URL of a challenge resolves to the resource metadata', async () => {
      const res = await post(oidc.url);
      await res.text();
      const { params } = parseChallenge(res.headers.get('www-authenticate'));
      const doc = (await (await fetch(params['resource_metadata']!)).json()) as Record<string, unknown>;
      expect(doc['resource']).toBe(oidc.url);
    });

    it.each(['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'])(
      "RFC 8414 %s: the IdP's own document",
      async (path) => {
        const own = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
        const res = await fetch(`${oidc.origin}${path}`);
        expect(res.status).toBe(200);
        const doc = (await res.json()) as Record<string, unknown>;
        expect(doc).toMatchObject({ issuer: idp.issuer, token_endpoint: own['token_endpoint'], jwks_uri: own['jwks_uri'] });
        expect(doc['authorization_endpoint']).toBe(own['authorization_endpoint']);
      },
    );

    it('HMAC server: resource metadata names OIDC_ISSUER; no provider metadata to proxy (404)', async () => {
      const doc = (await (await fetch(`${hmac.origin}/.well-known/oauth-protected-resource`)).json()) as Record<string, unknown>;
      expect(doc).toMatchObject({ resource: hmac.url, authorization_servers: [HMAC_ISSUER], bearer_methods_supported: ['header'] });
      const res = await fetch(`${hmac.origin}/.well-known/oauth-authorization-server`);
      expect(res.status).toBe(404);
      await res.body?.cancel();
    });
  });
});

describe('key rotation and an unreachable IdP', () => {
  // The server refetches the JWKS for an unknown kid at most once per OIDC_JWKS_COOLDOWN.
  // A short one lets rotation be seen in a second; a long one keeps "within the cooldown"
  // true for the whole describe, however slow the machine.
  const SHORT_COOLDOWN_S = 1;
  const LONG_COOLDOWN_S = 600;
  let idp: TestIdp;
  /** Short cooldown: picks up a rotation; its cached keys serve while the IdP is down. */
  let rot: HttpServerHandle;
  /** Short cooldown: fetches the keys once, then is asked for a never-seen key after the cooldown, with the IdP down. */
  let idle: HttpServerHandle;
  /** Long cooldown: fetches the keys once, then is asked for a never-seen key within the cooldown, with the IdP down. */
  let steady: HttpServerHandle;
  let firstFetchAt = 0;
  // Tokens are minted while the IdP is up and kept for the tests that run with it down.
  const rotTokens = { kid1: '', kid2: '', kid3: '' };
  const idleTokens = { kid1: '', kid3: '' };
  const steadyTokens = { kid1: '', kid3: '' };

  beforeAll(async () => {
    idp = await startTestIdp();
    const withCooldown = (seconds: number) => oauthServer({ OAUTH_PROVIDER: 'oidc', OIDC_ISSUER: idp.issuer, OIDC_JWKS_COOLDOWN: String(seconds) });
    [rot, idle, steady] = await Promise.all([withCooldown(SHORT_COOLDOWN_S), withCooldown(SHORT_COOLDOWN_S), withCooldown(LONG_COOLDOWN_S)]);
  }, 60_000);
  afterAll(async () => {
    await stopAllHttpServers();
    await idp?.close();
  });

  const tokenFor = (server: HttpServerHandle) => idp.clientCredentialsToken({ resource: server.url });
  const kid = (token: string) => decodeProtectedHeader(token).kid;

  it('before rotation: the first token makes each server fetch the JWKS', async () => {
    const servers: Array<[HttpServerHandle, { kid1: string }]> = [[rot, rotTokens], [idle, idleTokens], [steady, steadyTokens]];
    for (const [server, tokens] of servers) tokens.kid1 = await tokenFor(server);
    const res = await Promise.all(servers.map(([server, tokens]) => post(server.url, `Bearer ${tokens.kid1}`)));
    firstFetchAt = Date.now();
    for (const r of res) expect(r.status, await r.text()).toBe(200);
  });

  it('after idp.rotateKeys(): a token with the new kid is accepted without a restart', async () => {
    await idp.rotateKeys();
    rotTokens.kid2 = await tokenFor(rot);
    expect(kid(rotTokens.kid2)).not.toBe(kid(rotTokens.kid1));
    // The refetch for the new kid is allowed once the cooldown since the first fetch has passed.
    await waitUntil(firstFetchAt + SHORT_COOLDOWN_S * 1000 + 500);
    const res = await post(rot.url, `Bearer ${rotTokens.kid2}`);
    expect(res.status, await res.text()).toBe(200);
    const old = await post(rot.url, `Bearer ${rotTokens.kid1}`);
    expect(old.status, await old.text()).toBe(200);
  });

  it('IdP down after the first fetch: tokens signed with cached keys still work', async () => {
    await idp.rotateKeys();
    rotTokens.kid3 = await tokenFor(rot);
    idleTokens.kid3 = await tokenFor(idle);
    steadyTokens.kid3 = await tokenFor(steady);
    expect(kid(rotTokens.kid3)).not.toBe(kid(rotTokens.kid2));
    await idp.stop();
    for (const token of [rotTokens.kid1, rotTokens.kid2]) {
      const res = await post(rot.url, `Bearer ${token}`);
      expect(res.status, await res.text()).toBe(200);
    }
    const res = await post(idle.url, `Bearer ${idleTokens.kid1}`);
    expect(res.status, await res.text()).toBe(200);
  });

  it('IdP down, a never-seen kid within the refetch cooldown → 401 invalid_token (no refetch is tried), not 500', async () => {
    // `steady` fetched the keys in the first test, well within its long cooldown: no refetch, the kid is just unknown.
    expect(Date.now() - firstFetchAt).toBeLessThan(LONG_COOLDOWN_S * 1000);
    await expectRefusal(await post(steady.url, `Bearer ${steadyTokens.kid3}`), steady, { status: 401, error: 'invalid_token' });
  });

  it('IdP down, a never-seen kid after the cooldown → 503 with Retry-After and no-store, not 500', async () => {
    // `idle` last fetched in the first test, over a (short) cooldown ago: it refetches and cannot reach the IdP.
    expect(Date.now() - firstFetchAt).toBeGreaterThan(SHORT_COOLDOWN_S * 1000);
    await expectProviderUnavailable(await post(idle.url, `Bearer ${idleTokens.kid3}`));
  });

  it('IdP back: the key it was down for is fetched and used, without a restart', async () => {
    await idp.start();
    // `idle` answered 503 for this kid while the IdP was down; once its cooldown has passed it may fetch again.
    await waitUntil(Date.now() + SHORT_COOLDOWN_S * 1000 + 500);
    const res = await post(idle.url, `Bearer ${idleTokens.kid3}`);
    expect(res.status, await res.text()).toBe(200);
  });
});

describe('identity provider unreachable at start', () => {
  afterAll(() => stopAllHttpServers());

  it('OIDC_JWKS_URL set (no discovery) at a closed port: starts; a well-formed token → 503, Retry-After, no-store', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const server = await oauthServer({ OAUTH_PROVIDER: 'oidc', OIDC_ISSUER: dead, OIDC_JWKS_URL: `${dead}/jwks` });
    const { privateKey } = await generateKeyPair('RS256');
    const token = await new SignJWT({ sub: 'alice', scope: 'trino:read' })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1', typ: 'at+jwt' })
      .setIssuer(dead)
      .setAudience(server.url)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
    await expectProviderUnavailable(await post(server.url, `Bearer ${token}`));
    // Without a token it is still an ordinary 401 challenge.
    await expectRefusal(await post(server.url), server, { status: 401 });
  });
  it('provider metadata proxy with the IdP unreachable → 503 with Retry-After, not 500', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const server = await oauthServer({ OAUTH_PROVIDER: 'oidc', OIDC_ISSUER: dead, OIDC_JWKS_URL: `${dead}/jwks` });
    const res = await fetch(`${server.origin}/.well-known/oauth-authorization-server`);
    await res.text();
    expect(res.status).not.toBe(500);
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('OIDC_ISSUER only (discovery needed) at a dead issuer: refuses to start, exit 2, one line naming OIDC_ISSUER', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const { code, stderr } = await startHttpServerExpectingExit({ OAUTH_ENABLED: 'true', OAUTH_PROVIDER: 'oidc', OIDC_ISSUER: dead });
    expect(code).toBe(2);
    const lines = plainLines(stderr);
    expect(lines, stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^trino-mcp: .*OIDC_ISSUER/);
    expect(stderr).not.toContain('"msg":"listening"');
  });
});

describe('start-up refusals and warnings', () => {
  afterAll(() => stopAllHttpServers());

  const refusals: Array<[string, Record<string, string>, string]> = [
    [
      'OAuth over plain HTTP on a non-loopback MCP_HOST',
      { MCP_HOST: '0.0.0.0', OAUTH_ENABLED: 'true', OAUTH_PROVIDER: 'hmac', JWT_SECRET: HMAC_SECRET },
      'MCP_HTTPS',
    ],
    ['no OAuth on a non-loopback MCP_HOST without MCP_ALLOW_UNAUTHENTICATED', { MCP_HOST: '0.0.0.0' }, 'MCP_HOST'],
    ['HMAC with a 10-byte JWT_SECRET', { OAUTH_ENABLED: 'true', OAUTH_PROVIDER: 'hmac', JWT_SECRET: '0123456789' }, 'JWT_SECRET'],
    ['OIDC without an issuer', { OAUTH_ENABLED: 'true', OAUTH_PROVIDER: 'oidc' }, 'OIDC_ISSUER'],
    ['impersonation without OAuth', { TRINO_IMPERSONATE: 'true' }, 'TRINO_IMPERSONATE'],
  ];

  it.each(refusals)('%s → exit 2, one line naming the variable', async (_name, env, variable) => {
    const { code, stderr } = await startHttpServerExpectingExit(env);
    expect(code, stderr).toBe(2);
    const lines = plainLines(stderr);
    expect(lines, stderr).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^trino-mcp: invalid configuration: ${variable}\\b`));
  });

  it('the refusal on 0.0.0.0 without OAuth points at MCP_ALLOW_UNAUTHENTICATED', async () => {
    const { stderr } = await startHttpServerExpectingExit({ MCP_HOST: '0.0.0.0' });
    expect(plainLines(stderr)[0]).toContain('MCP_ALLOW_UNAUTHENTICATED');
  });

  it('MCP_ALLOW_UNAUTHENTICATED=true on 0.0.0.0 starts, with a warning in the log', async () => {
    const server = await startHttpServer({ MCP_HOST: '0.0.0.0', MCP_ALLOW_UNAUTHENTICATED: 'true' });
    const warnings = server.logs().filter((l) => l['level'] === 'warn');
    expect(warnings.some((w) => String(w['msg']).includes('MCP_ALLOW_UNAUTHENTICATED'))).toBe(true);
    const res = await fetch(`http://127.0.0.1:${server.port}/status`);
    expect(res.status).toBe(200);
    await res.body?.cancel();
    expect(await server.stop()).toBe(0);
  });

  it('OAuth on 0.0.0.0 behind a TLS-terminating proxy (MCP_TRUST_PROXY=true) starts', async () => {
    const server = await startHttpServer({ MCP_HOST: '0.0.0.0', MCP_TRUST_PROXY: 'true', OAUTH_ENABLED: 'true', OAUTH_PROVIDER: 'hmac', JWT_SECRET: HMAC_SECRET });
    const res = await fetch(`http://127.0.0.1:${server.port}/mcp`, { method: 'POST', headers: JSON_RPC_HEADERS, body: JSON.stringify(TOOLS_LIST) });
    expect(res.status).toBe(401);
    await res.body?.cancel();
    expect(await server.stop()).toBe(0);
  });
});
