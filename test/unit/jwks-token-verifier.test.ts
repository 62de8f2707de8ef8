import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CompactSign, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { JwksTokenVerifier } from '../../src/adapters/auth/jwt-token-verifier.ts';
import { TokenVerificationError } from '../../src/ports/token-verifier.ts';
import { baseClaims, hostileClaimSets } from './support/hostile-claims.ts';

const AUD = 'https://mcp.example.test/mcp';
const ISS = 'https://idp.example.test';

interface Key {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function key(kid: string): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

function sign(k: Key) {
  return new SignJWT({ scope: 'trino:read' })
    .setProtectedHeader({ alg: 'RS256', kid: k.kid })
    .setSubject('alice')
    .setIssuer(ISS)
    .setAudience(AUD)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(k.privateKey);
}

/** A JWKS endpoint on loopback whose key list the test changes. */
async function jwksServer(keys: Key[]) {
  let published = keys;
  let fetches = 0;
  const server: Server = createServer((_req, res) => {
    fetches++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: published.map((k) => k.jwk) }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
  open.push(server);
  return {
    url,
    publish: (next: Key[]) => (published = next),
    fetches: () => fetches,
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const open: Server[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await new Promise<void>((r) => s.close(() => r()));
});

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'accepted';
  } catch (err) {
    if (err instanceof TokenVerificationError) return err.code;
    throw err;
  }
}

const rules = { issuer: ISS, audience: AUD, clockToleranceSec: 0 };
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('JwksTokenVerifier key cache', () => {
  it('picks up a new key on an unknown kid, without a restart', async () => {
    const [k1, k2] = [await key('k1'), await key('k2')];
    const idp = await jwksServer([k1]);
    const verifier = new JwksTokenVerifier(idp.url, rules, { cooldownMs: 0 });
    expect(await code(verifier.verify(await sign(k1)))).toBe('accepted');
    idp.publish([k2, k1]);
    expect(await code(verifier.verify(await sign(k2)))).toBe('accepted');
    expect(idp.fetches()).toBe(2);
  });

  it('stops trusting a key the provider removed once the cache is stale', async () => {
    const [k1, k2] = [await key('k1'), await key('k2')];
    const idp = await jwksServer([k1]);
    const verifier = new JwksTokenVerifier(idp.url, rules, { cooldownMs: 0, cacheMaxAgeMs: 50 });
    expect(await code(verifier.verify(await sign(k1)))).toBe('accepted');
    idp.publish([k2]);
    await pause(80);
    expect(await code(verifier.verify(await sign(k1)))).toBe('invalid_token');
    expect(await code(verifier.verify(await sign(k2)))).toBe('accepted');
  });

  it('with the provider down, keeps using the last key set; an unknown key is provider_unavailable', async () => {
    const [k1, k2] = [await key('k1'), await key('k2')];
    const idp = await jwksServer([k1]);
    const verifier = new JwksTokenVerifier(idp.url, rules, { cooldownMs: 0, cacheMaxAgeMs: 50, timeoutMs: 500 });
    expect(await code(verifier.verify(await sign(k1)))).toBe('accepted');
    await idp.stop();
    await pause(80); // the cache is stale, and the provider cannot be asked
    expect(await code(verifier.verify(await sign(k1)))).toBe('accepted');
    expect(await code(verifier.verify(await sign(k2)))).toBe('provider_unavailable');
  });

  it('a cold start with the provider down is provider_unavailable', async () => {
    const k1 = await key('k1');
    const idp = await jwksServer([k1]);
    await idp.stop();
    const verifier = new JwksTokenVerifier(idp.url, rules, { timeoutMs: 500 });
    expect(await code(verifier.verify(await sign(k1)))).toBe('provider_unavailable');
  });
});

describe('JwksTokenVerifier refuses hostile claims', () => {
  it('accepts the same claims set when it is well-formed (the control)', async () => {
    const k1 = await key('k1');
    const idp = await jwksServer([k1]);
    const verifier = new JwksTokenVerifier(idp.url, { ...rules, clockToleranceSec: 30 });
    const claims = JSON.stringify(baseClaims(AUD, ISS));
    const token = await new CompactSign(new TextEncoder().encode(claims)).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(k1.privateKey);
    expect(await code(verifier.verify(token))).toBe('accepted');
  });

  it.each(hostileClaimSets(AUD, ISS))('refuses a token whose %s', async (_what, claims) => {
    const k1 = await key('k1');
    const idp = await jwksServer([k1]);
    const verifier = new JwksTokenVerifier(idp.url, { ...rules, clockToleranceSec: 30 });
    const token = await new CompactSign(new TextEncoder().encode(claims)).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(k1.privateKey);
    expect(await code(verifier.verify(token))).toBe('invalid_token');
  });
});
