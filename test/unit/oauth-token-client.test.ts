/**
 * The token endpoint calls against a loopback authorization server: what is sent, and how
 * each kind of failure is told apart (a refusal is the caller's or the operator's to fix; an
 * outage is retryable).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { clientCredentials, tokenExchange } from '../../src/adapters/trino/credentials/oauth-credentials.ts';
import { OAuthTokenClient } from '../../src/adapters/trino/credentials/oauth-token-client.ts';
import { BearerCredential } from '../../src/domain/credential.ts';
import type { Principal } from '../../src/domain/model.ts';
import { freePort } from '../harness/trino-server.ts';
import { expectDomainError, rejectionOf } from './support/domain-error.ts';

const open: Server[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await new Promise<void>((r) => s.close(() => r()));
});

type Reply = { status: number; body: unknown };
async function tokenEndpoint(reply: (form: URLSearchParams) => Reply): Promise<{ url: string; forms: URLSearchParams[] }> {
  const forms: URLSearchParams[] = [];
  const srv = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const form = new URLSearchParams(body);
      forms.push(form);
      const r = reply(form);
      res.writeHead(r.status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(r.body));
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  open.push(srv);
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/token`, forms };
}

const client = (tokenUrl: string) => new OAuthTokenClient({ tokenUrl, clientId: 'trino-mcp', clientSecret: () => 'shh', audience: 'trino', timeoutMs: 2_000 });
const alice: Principal = { subject: 'alice-sub', scopes: [], via: 'http', credential: new BearerCredential('alice.subject.token') };
const signal = () => new AbortController().signal;

describe('RFC 8693 token exchange', () => {
  it('sends the caller\'s token as subject_token with the audience, and caches the answer per subject', async () => {
    const as = await tokenEndpoint(() => ({ status: 200, body: { access_token: 'trino.token.alice', token_type: 'Bearer', expires_in: 300, issued_token_type: 'urn:ietf:params:oauth:token-type:access_token' } }));
    const creds = tokenExchange(client(as.url));
    expect(await creds.authorization(alice, signal())).toBe('Bearer trino.token.alice');
    expect(await creds.authorization(alice, signal())).toBe('Bearer trino.token.alice');
    expect(as.forms).toHaveLength(1);
    expect(Object.fromEntries(as.forms[0]!)).toMatchObject({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: 'alice.subject.token',
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      audience: 'trino',
      client_id: 'trino-mcp',
      client_secret: 'shh',
    });
  });

  it('a refusal for the caller is POLICY_DENIED / TOKEN_EXCHANGE saying the identity provider refused', async () => {
    const as = await tokenEndpoint(() => ({ status: 400, body: { error: 'invalid_grant', error_description: 'subject token revoked' } }));
    const e = expectDomainError(await rejectionOf(tokenExchange(client(as.url)).authorization(alice, signal())), 'POLICY_DENIED', { rule: 'TOKEN_EXCHANGE' });
    expect(e.message).toContain('identity provider refused');
    expect(e.message).toContain('invalid_grant');
  });

  it('a refusal of this server as a client is the operator\'s to fix (not retryable)', async () => {
    const as = await tokenEndpoint(() => ({ status: 401, body: { error: 'invalid_client' } }));
    expectDomainError(await rejectionOf(tokenExchange(client(as.url)).authorization(alice, signal())), 'ENGINE_UNAVAILABLE', { retryable: false });
  });

  it.each([
    ['answers 503', async () => (await tokenEndpoint(() => ({ status: 503, body: { error: 'temporarily_unavailable' } }))).url],
    ['does not listen', async () => `http://127.0.0.1:${await freePort()}/token`],
  ])('an identity provider that %s is ENGINE_UNAVAILABLE, retryable, and the next call tries again', async (_what, url) => {
    const creds = tokenExchange(client(await url()));
    expectDomainError(await rejectionOf(creds.authorization(alice, signal())), 'ENGINE_UNAVAILABLE', { retryable: true });
    expectDomainError(await rejectionOf(creds.authorization(alice, signal())), 'ENGINE_UNAVAILABLE', { retryable: true });
  });
});

describe('client credentials', () => {
  it('sends the grant with scope and audience; a wrong secret names the client variables', async () => {
    const as = await tokenEndpoint((f) =>
      f.get('client_secret') === 'shh' ? { status: 200, body: { access_token: 'svc.token', token_type: 'Bearer', expires_in: 60 } } : { status: 401, body: { error: 'invalid_client' } },
    );
    const good = clientCredentials(new OAuthTokenClient({ tokenUrl: as.url, clientId: 'svc', clientSecret: () => 'shh', scope: 'trino', audience: 'trino' }));
    expect(await good.authorization(alice, signal())).toBe('Bearer svc.token');
    expect(Object.fromEntries(as.forms[0]!)).toMatchObject({ grant_type: 'client_credentials', scope: 'trino', audience: 'trino' });
    const bad = clientCredentials(new OAuthTokenClient({ tokenUrl: as.url, clientId: 'svc', clientSecret: () => 'wrong' }));
    const e = expectDomainError(await rejectionOf(bad.authorization(alice, signal())), 'ENGINE_UNAVAILABLE', { retryable: false });
    expect(e.message).toContain('TRINO_OAUTH_CLIENT_SECRET');
    expect(e.message).not.toContain('wrong');
  });
});
