import { CompactSign, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { HmacTokenVerifier } from '../../src/adapters/auth/jwt-token-verifier.ts';
import { TokenVerificationError } from '../../src/ports/token-verifier.ts';
import { baseClaims, hostileClaimSets, joseRefusedClaimSets } from './support/hostile-claims.ts';

const SECRET = 'an-hmac-secret-of-at-least-32-bytes!';
const key = new TextEncoder().encode(SECRET);
const AUD = 'http://127.0.0.1:8080/mcp';

function token(claims: Record<string, unknown>, issuer?: string) {
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setAudience(AUD).setIssuedAt().setExpirationTime('5m');
  if (issuer) jwt = jwt.setIssuer(issuer);
  return jwt.sign(key);
}

async function failure(p: Promise<unknown>) {
  try {
    await p;
  } catch (err) {
    if (err instanceof TokenVerificationError) return err;
    throw err;
  }
  throw new Error('expected a TokenVerificationError');
}

describe('issuer matching', () => {
  it('accepts the configured issuer with or without a trailing slash (Auth0 issues one)', async () => {
    const verifier = new HmacTokenVerifier(SECRET, { issuer: 'https://tenant.example.auth0.com', audience: AUD, clockToleranceSec: 0 });
    await expect(verifier.verify(await token({}, 'https://tenant.example.auth0.com/'))).resolves.toMatchObject({ subject: 'alice' });
    await expect(verifier.verify(await token({}, 'https://tenant.example.auth0.com'))).resolves.toMatchObject({ subject: 'alice' });
    expect((await failure(verifier.verify(await token({}, 'https://other.example.auth0.com/')))).code).toBe('invalid_token');
  });

  it('reads scopes from `scope` (space-separated) and `scp` (array)', async () => {
    const verifier = new HmacTokenVerifier(SECRET, { audience: AUD, clockToleranceSec: 0 });
    const p = await verifier.verify(await token({ scope: 'trino:read  trino:write', scp: ['extra'], preferred_username: 'al', email: 'a@x' }));
    expect([...p.scopes].sort()).toEqual(['extra', 'trino:read', 'trino:write']);
    expect(p).toMatchObject({ username: 'al', email: 'a@x', via: 'http' });
  });
});

describe('expiry', () => {
  it('names the last moment a request with the token is let in: exp plus the clock tolerance', async () => {
    const verifier = new HmacTokenVerifier(SECRET, { audience: AUD, clockToleranceSec: 30 });
    const exp = Math.floor(Date.now() / 1000) + 60;
    const jwt = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setAudience(AUD).setExpirationTime(exp).sign(key);
    expect((await verifier.verify(jwt)).expiresAt).toBe((exp + 30) * 1000);
  });
});

describe('claims jose does not check', () => {
  const verifier = new HmacTokenVerifier(SECRET, { audience: AUD, clockToleranceSec: 30 });
  const signRaw = (claims: string) => new CompactSign(new TextEncoder().encode(claims)).setProtectedHeader({ alg: 'HS256' }).sign(key);

  it.each(hostileClaimSets(AUD))('refuses a token whose %s', async (_what, claims) => {
    const err = await failure(verifier.verify(await signRaw(claims)));
    expect(err.code).toBe('invalid_token');
    expect(err.message).toMatch(/^[\x20-\x7e]+$/);
  });

  it.each(joseRefusedClaimSets(AUD))('refuses a token whose %s (jose)', async (_what, claims) => {
    expect((await failure(verifier.verify(await signRaw(claims)))).code).toBe('invalid_token');
  });

  it('accepts an iat within the clock tolerance, and scopes as a string or an array', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { ...baseClaims(AUD), iat: now + 20, scope: 'a b', scp: ['c'] };
    const p = await verifier.verify(await signRaw(JSON.stringify(claims)));
    expect([...p.scopes].sort()).toEqual(['a', 'b', 'c']);
    const justPast = { ...baseClaims(AUD), iat: now + 31 };
    expect((await failure(verifier.verify(await signRaw(JSON.stringify(justPast))))).code).toBe('invalid_token');
  });

  it('still treats an absent or empty identity claim as absent (impersonation refuses later, naming it)', async () => {
    const p = await verifier.verify(await signRaw(JSON.stringify({ ...baseClaims(AUD), preferred_username: '', email: undefined })));
    expect(p).not.toHaveProperty('username');
    expect(p).not.toHaveProperty('email');
  });
});
