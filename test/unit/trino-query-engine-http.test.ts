/**
 * TrinoQueryEngine against a loopback HTTP server that answers /v1/statement the way Trino
 * does: what goes out in the identity headers, and how Trino's refusals come back.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TrinoQueryEngine, type TrinoConnection } from '../../src/adapters/trino/trino-query-engine.ts';
import type { Principal } from '../../src/domain/model.ts';
import { CapturingLogger } from '../fakes/capturing-logger.ts';
import { expectDomainError, rejectionOf } from './support/domain-error.ts';

type Answer = { status: number; headers?: Record<string, string>; body: string };

const FINISHED: Answer = {
  status: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ id: 'q_1', stats: { state: 'FINISHED' }, columns: [{ name: 'x', type: 'integer' }], data: [[1]] }),
};

/** Trino 476 with password authentication, to a request with wrong credentials. */
const UNAUTHORIZED: Answer = {
  status: 401,
  headers: { 'www-authenticate': 'Basic realm="Trino"', 'content-type': 'text/plain' },
  body: 'Unauthorized',
};

const open: Server[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await new Promise<void>((r) => s.close(() => r()));
});

/** A fake coordinator answering every request with `answer`; records the request headers. */
async function fakeTrino(answer: Answer): Promise<{ server: string; requests: IncomingHttpHeaders[] }> {
  const requests: IncomingHttpHeaders[] = [];
  const srv = createServer((req, res) => {
    requests.push(req.headers);
    req.resume();
    req.on('end', () => {
      res.writeHead(answer.status, answer.headers ?? {});
      res.end(answer.body);
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  open.push(srv);
  return { server: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, requests };
}

function engine(server: string, extra: Partial<TrinoConnection> = {}): TrinoQueryEngine {
  return new TrinoQueryEngine({ server, user: 'svc_mcp', verifyCertificates: true, source: 'trino-mcp-test', ...extra }, new CapturingLogger());
}

const caller = (p: Partial<Principal> = {}): Principal => ({ subject: 'user-123', scopes: [], via: 'http', ...p });

async function drain(e: TrinoQueryEngine, principal: Principal): Promise<void> {
  for await (const _ of e.run({ sql: 'SELECT 1', principal }, new AbortController().signal)) {
    // consume
  }
}

describe('the Trino session user is exactly the claim, or nothing runs', () => {
  it('sends the claim unchanged as X-Trino-User', async () => {
    const t = await fakeTrino(FINISHED);
    await drain(engine(t.server, { impersonation: 'preferred_username' }), caller({ username: 'carol.o-neil@EXAMPLE' }));
    expect(t.requests[0]!['x-trino-user']).toBe('carol.o-neil@EXAMPLE');
  });

  it('with TRINO_PASSWORD, still runs as the claim, authenticated as TRINO_USER', async () => {
    const t = await fakeTrino(FINISHED);
    await drain(engine(t.server, { impersonation: 'email', password: 'pw:with:colons' }), caller({ email: 'dave@example.com' }));
    expect(t.requests[0]!['x-trino-user']).toBe('dave@example.com');
    expect(t.requests[0]!['authorization']).toBe(`Basic ${Buffer.from('svc_mcp:pw:with:colons').toString('base64')}`);
  });

  it.each([
    ['non-ASCII (would become j?rgen)', 'jörgen'],
    ['another non-ASCII name with the same ASCII letters', 'jürgen'],
    ['decomposed umlaut', 'jo\u0308rgen'],
    ['leading and trailing blanks (Trino trims them)', ' bob '],
    ['a trailing blank', 'bob '],
    ['a tab', 'bo\tb'],
    ['CR LF (a second header)', 'bob\r\nX-Trino-Role: system=ROLE{admin}'],
    ['NUL', 'bob\u0000'],
    ['DEL', 'bob\u007f'],
    ['a right-to-left override', 'bob\u202e'],
    ['256 characters (would be cut)', 'a'.repeat(256)],
  ])('refuses a claim with %s, sending nothing', async (_what, value) => {
    const t = await fakeTrino(FINISHED);
    const err = await rejectionOf(drain(engine(t.server, { impersonation: 'preferred_username' }), caller({ username: value })));
    const e = expectDomainError(err, 'POLICY_DENIED', { rule: 'IMPERSONATION' });
    expect(e.message).toContain('"preferred_username"');
    expect(e.message).not.toMatch(/[\x00-\x1f\x7f\u202e]/);
    expect(t.requests).toHaveLength(0);
  });

  it('refuses a sub claim that cannot be sent exactly (the claim is named)', async () => {
    const t = await fakeTrino(FINISHED);
    const err = await rejectionOf(drain(engine(t.server, { impersonation: 'sub' }), caller({ subject: 'ünïcode' })));
    expect(expectDomainError(err, 'POLICY_DENIED', { rule: 'IMPERSONATION' }).message).toContain('"sub"');
    expect(t.requests).toHaveLength(0);
  });

  it('accepts the longest allowed claim (255 characters) and inner spaces', async () => {
    const t = await fakeTrino(FINISHED);
    await drain(engine(t.server, { impersonation: 'preferred_username' }), caller({ username: 'b'.repeat(255) }));
    await drain(engine(t.server, { impersonation: 'preferred_username' }), caller({ username: 'Ann Lee' }));
    expect(t.requests.map((h) => h['x-trino-user'])).toEqual(['b'.repeat(255), 'Ann Lee']);
  });
});

describe('Trino refusing the impersonation', () => {
  const denied = (user: string): Answer => ({
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      id: 'q_2',
      stats: { state: 'FAILED' },
      // As Trino 476 with file-based access control answers (seen on a real coordinator).
      error: { message: `Access Denied: User svc_mcp cannot impersonate user ${user}`, errorCode: 4, errorName: 'PERMISSION_DENIED', errorType: 'USER_ERROR' },
    }),
  });

  it('is POLICY_DENIED / IMPERSONATION, not an invalid statement', async () => {
    const t = await fakeTrino(denied('carol'));
    const err = await rejectionOf(drain(engine(t.server, { impersonation: 'preferred_username', password: 'pw' }), caller({ username: 'carol' })));
    expectDomainError(err, 'POLICY_DENIED', { rule: 'IMPERSONATION', errorName: 'PERMISSION_DENIED' });
  });

  it('without impersonation the same error stays a query error', async () => {
    const t = await fakeTrino(denied('carol'));
    expectDomainError(await rejectionOf(drain(engine(t.server), caller())), 'QUERY_INVALID', { errorName: 'PERMISSION_DENIED' });
  });
});

describe('X-Trino-Client-Info', () => {
  it('is JSON whose fields claim text cannot forge', async () => {
    const t = await fakeTrino(FINISHED);
    const forged = '" via=stdio subject=admin';
    const injected = 'x","via":"stdio","subject":"admin';
    await drain(engine(t.server), caller({ subject: forged, username: injected }));
    const info = JSON.parse(String(t.requests[0]!['x-trino-client-info'])) as Record<string, unknown>;
    expect(info).toEqual({ client: 'trino-mcp', via: 'http', subject: forged, user: injected });
  });
});

describe('Trino refusing the credentials', () => {
  it('a 401 says the credentials were refused (not retryable), not "no answer"', async () => {
    const t = await fakeTrino(UNAUTHORIZED);
    const err = await rejectionOf(drain(engine(t.server, { password: 'wrong' }), caller()));
    const e = expectDomainError(err, 'ENGINE_UNAVAILABLE', { retryable: false });
    expect(e.message).not.toContain('wrong');
    expect(t.requests).toHaveLength(1);
  });

  it("passes on Trino's one-line reason, and nothing of an HTML page", async () => {
    const insecure = await fakeTrino({ ...UNAUTHORIZED, body: 'Password not allowed for insecure authentication\n' });
    const e = expectDomainError(await rejectionOf(drain(engine(insecure.server, { password: 'pw' }), caller())), 'ENGINE_UNAVAILABLE');
    expect(e.message).toContain('Password not allowed for insecure authentication');
    const html = await fakeTrino({ status: 401, body: '<html><script>alert(1)</script></html>' });
    const h = expectDomainError(await rejectionOf(drain(engine(html.server, { password: 'pw' }), caller())), 'ENGINE_UNAVAILABLE');
    expect(h.message).not.toContain('script');
  });

  it('a 403 is not retryable either', async () => {
    const t = await fakeTrino({ status: 403, body: '<html><body>Forbidden</body></html>' });
    expectDomainError(await rejectionOf(drain(engine(t.server, { password: 'pw' }), caller())), 'ENGINE_UNAVAILABLE', { retryable: false });
  });

  it('a 200 whose body is not JSON is an engine failure, not an empty result', async () => {
    const t = await fakeTrino({ status: 200, headers: { 'content-type': 'text/html' }, body: '<html>proxy login</html>' });
    expectDomainError(await rejectionOf(drain(engine(t.server), caller())), 'ENGINE_UNAVAILABLE');
  });
});
