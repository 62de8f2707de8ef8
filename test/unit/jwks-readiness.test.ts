import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { JwksTokenVerifier } from '../../src/adapters/auth/jwt-token-verifier.ts';

const RULES = { issuer: 'https://idp.example.test', audience: ['https://mcp.example.test/mcp'], clockToleranceSec: 0 };

const open: Server[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await new Promise<void>((r) => s.close(() => r()));
});

/** A JWKS endpoint that answers `status` (and the key set when 200). */
async function jwksEndpoint(): Promise<{ url: string; answer: (status: number) => void }> {
  const { publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  let status = 200;
  const server = createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(status === 200 ? JSON.stringify({ keys: [jwk] }) : '{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  open.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`, answer: (s) => (status = s) };
}

describe('JwksTokenVerifier readiness and refresh count', () => {
  it('holds no keys while the provider fails, then holds them once it answers; every fetch is counted', async () => {
    const idp = await jwksEndpoint();
    const fetches: string[] = [];
    const verifier = new JwksTokenVerifier(idp.url, RULES, { cooldownMs: 0, onFetch: (r) => fetches.push(r) });
    idp.answer(503);
    expect(await verifier.holdsKeys()).toBe(false);
    idp.answer(200);
    expect(await verifier.holdsKeys()).toBe(true);
    expect(fetches).toEqual(['error', 'ok']);
    // Held keys answer without another fetch: probes do not hammer the provider.
    expect(await verifier.holdsKeys()).toBe(true);
    expect(fetches).toHaveLength(2);
  });

  it('an unreachable provider is not ready (and counted as an error)', async () => {
    const fetches: string[] = [];
    const verifier = new JwksTokenVerifier('http://127.0.0.1:9/jwks', RULES, { timeoutMs: 1_000, onFetch: (r) => fetches.push(r) });
    expect(await verifier.holdsKeys()).toBe(false);
    expect(fetches).toEqual(['error']);
  });

  it('a key set with no keys is not ready', async () => {
    const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":[]}'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    open.push(server);
    const verifier = new JwksTokenVerifier(`http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`, RULES);
    expect(await verifier.holdsKeys()).toBe(false);
    expect(await verifier.holdsKeys()).toBe(false); // the empty set fetched is still no key
  });
});
