/**
 * The credentials of TRINO_AUTH without a network: the token cache (injected clock), the
 * engine's one retry after a 401, the token file that rotates, and the caller's token
 * that never prints.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { fileTokenCredentials } from '../../src/adapters/trino/credentials/static-credentials.ts';
import { refreshMargin, TokenCache } from '../../src/adapters/trino/credentials/token-cache.ts';
import type { TrinoCredentials } from '../../src/adapters/trino/credentials/trino-credentials.ts';
import { TrinoQueryEngine } from '../../src/adapters/trino/trino-query-engine.ts';
import { BearerCredential } from '../../src/domain/credential.ts';
import type { Principal } from '../../src/domain/model.ts';
import { PinoLogger } from '../../src/adapters/log/pino-logger.ts';
import { CapturingLogger } from '../fakes/capturing-logger.ts';
import { expectDomainError, rejectionOf } from './support/domain-error.ts';

const caller: Principal = { subject: 'user-1', scopes: [], via: 'http' };

describe('TokenCache', () => {
  it('reuses a token until shortly before it expires, then fetches a new one', async () => {
    let now = 1_000_000;
    const cache = new TokenCache({ now: () => now });
    let issued = 0;
    const issue = async () => ({ token: `t${++issued}`, lifetimeMs: 300_000 });
    expect(await cache.get('k', issue)).toBe('t1');
    now += 300_000 - refreshMargin(300_000) - 1;
    expect(await cache.get('k', issue)).toBe('t1');
    now += 1;
    expect(await cache.get('k', issue)).toBe('t2');
    expect(refreshMargin(300_000)).toBe(60_000);
    expect(refreshMargin(4_000)).toBe(1_000);
  });

  it('sends one request for concurrent callers of one key, and caches no failure', async () => {
    const cache = new TokenCache();
    let calls = 0;
    let release!: (v: { token: string; lifetimeMs: number }) => void;
    const issue = () => {
      calls++;
      return new Promise<{ token: string; lifetimeMs: number }>((r) => (release = r));
    };
    const all = Promise.all([cache.get('k', issue), cache.get('k', issue), cache.get('k', issue)]);
    release({ token: 'shared', lifetimeMs: 60_000 });
    expect(await all).toEqual(['shared', 'shared', 'shared']);
    expect(calls).toBe(1);
    await expect(cache.get('other', async () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await cache.get('other', async () => ({ token: 'later', lifetimeMs: 60_000 }))).toBe('later');
  });

  it('drops a refused token only if it is still the current one', async () => {
    const cache = new TokenCache();
    let n = 0;
    const issue = async () => ({ token: `t${++n}`, lifetimeMs: 60_000 });
    await cache.get('k', issue);
    cache.drop('k', 'stale');
    expect(await cache.get('k', issue)).toBe('t1');
    cache.drop('k', 't1');
    expect(await cache.get('k', issue)).toBe('t2');
  });

  it('holds at most maxEntries subjects (a flood of callers cannot grow it without bound)', async () => {
    const cache = new TokenCache({ maxEntries: 3 });
    for (let i = 0; i < 50; i++) await cache.get(`subject-${i}`, async () => ({ token: `t${i}`, lifetimeMs: 60_000 }));
    expect(cache.size).toBe(3);
  });
});

describe('the caller\'s bearer token on the principal', () => {
  it('never prints: JSON, String, util.inspect and the logger all show [redacted]', () => {
    const secret = 'eyJhbGciOi.secret-token.sig';
    const p: Principal = { ...caller, credential: new BearerCredential(secret) };
    const lines: string[] = [];
    new PinoLogger({ write: (l) => lines.push(l) }).info('principal', { principal: p, who: p as unknown as Record<string, unknown> });
    for (const text of [JSON.stringify(p), String(p.credential), inspect(p, { depth: 5 }), inspect(p.credential, { showHidden: true }), lines.join('')]) {
      expect(text).not.toContain(secret);
    }
    expect(p.credential!.reveal()).toBe(secret);
  });
});

describe('TRINO_ACCESS_TOKEN_FILE', () => {
  it('is read again after it changed; a broken rewrite keeps the last good token', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tok-'));
    const file = join(dir, 'token');
    writeFileSync(file, 'first.token.value\n');
    const warnings: string[] = [];
    const c = fileTokenCredentials(file, (m) => warnings.push(m));
    expect(await c.authorization(caller, new AbortController().signal)).toBe('Bearer first.token.value');
    writeFileSync(`${file}.new`, 'second.token.value-longer');
    renameSync(`${file}.new`, file);
    expect(await c.authorization(caller, new AbortController().signal)).toBe('Bearer second.token.value-longer');
    writeFileSync(file, 'not a token: spaces and "quotes"');
    expect(await c.authorization(caller, new AbortController().signal)).toBe('Bearer second.token.value-longer');
    expect(warnings).toHaveLength(1);
  });
});

const open: Server[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await new Promise<void>((r) => s.close(() => r()));
});

/** A coordinator that accepts only `Bearer good`. */
async function tokenCheckingTrino(): Promise<{ server: string; requests: IncomingHttpHeaders[] }> {
  const requests: IncomingHttpHeaders[] = [];
  const srv = createServer((req, res) => {
    requests.push(req.headers);
    req.resume();
    req.on('end', () => {
      if (req.headers.authorization !== 'Bearer good') {
        res.writeHead(401, { 'www-authenticate': 'Bearer realm="Trino"', 'content-type': 'text/plain' });
        res.end('Unauthorized');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'q_1', stats: { state: 'FINISHED' }, columns: [{ name: 'x', type: 'integer' }], data: [[1]] }));
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  open.push(srv);
  return { server: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, requests };
}

/** Hands out `tokens` in turn, moving on only when the current one was rejected. */
function rotating(tokens: string[]): TrinoCredentials & { rejections: string[] } {
  let i = 0;
  const rejections: string[] = [];
  return {
    mode: 'client_credentials',
    namesUser: true,
    rejections,
    authorization: async () => `Bearer ${tokens[Math.min(i, tokens.length - 1)]}`,
    rejected: (_p, header) => {
      rejections.push(header);
      i++;
    },
    refusedCredential: () => 'the test token',
  };
}

async function drain(e: TrinoQueryEngine): Promise<void> {
  for await (const _ of e.run({ sql: 'SELECT 1', principal: caller }, new AbortController().signal)) {
    // consume
  }
}

describe('the engine and a refused token', () => {
  const engine = (server: string, credentials: TrinoCredentials) =>
    new TrinoQueryEngine({ server, user: 'svc', verifyCertificates: true, source: 'test', credentials }, new CapturingLogger());

  it('retries once with a fresh token after a 401, and sends no X-Trino-User next to a token', async () => {
    const t = await tokenCheckingTrino();
    const creds = rotating(['expired', 'good']);
    await drain(engine(t.server, creds));
    expect(t.requests.map((r) => r.authorization)).toEqual(['Bearer expired', 'Bearer good']);
    expect(creds.rejections).toEqual(['Bearer expired']);
    expect(t.requests.every((r) => r['x-trino-user'] === undefined)).toBe(true);
  });

  it('retries only once: a second refusal is the error, naming the credential', async () => {
    const t = await tokenCheckingTrino();
    const e = expectDomainError(await rejectionOf(drain(engine(t.server, rotating(['bad1', 'bad2', 'good'])))), 'ENGINE_UNAVAILABLE', { retryable: false });
    expect(e.message).toContain('the test token');
    expect(t.requests).toHaveLength(2);
  });

  it('does not resend a credential that cannot change (the same header again)', async () => {
    const t = await tokenCheckingTrino();
    expectDomainError(await rejectionOf(drain(engine(t.server, rotating(['fixed'])))), 'ENGINE_UNAVAILABLE');
    expect(t.requests).toHaveLength(1);
  });
});
