/**
 * `trino-mcp check` with OAuth against a real authorization server (oidc-provider): discovery
 * and the key set are fetched, and each failure is a FAIL line saying what to do, exit 1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIdp, type TestIdp } from '../harness/oidc-provider.ts';
import { freePort } from '../harness/trino-server.ts';
import { runProcess, SERVER_BIN, serverEnv } from '../support/processes.ts';

let idp: TestIdp;
beforeAll(async () => {
  idp = await startTestIdp();
});
afterAll(async () => {
  await idp?.close();
});

const check = (env: Record<string, string>) => runProcess(process.execPath, [SERVER_BIN, 'check', '--transport', 'http'], { env: serverEnv({ OAUTH_ENABLED: 'true', ...env }) });

describe('trino-mcp check with OIDC', () => {
  it('discovers the provider and reads its key set: OK lines, exit 0', async () => {
    const r = await check({ OIDC_ISSUER: idp.issuer });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^OK {3}configuration: valid \(http, OAuth oidc\)$/m);
    expect(r.stdout).toMatch(/^OK {3}trino: /m);
    expect(r.stdout).toContain(`OK   oidc discovery: ${idp.issuer} published its metadata`);
    expect(r.stdout).toMatch(/^OK {3}jwks: .* holds [1-9]\d* keys?$/m);
  });

  it('a key set that is not there: FAIL jwks, exit 1', async () => {
    const r = await check({ OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: `${idp.issuer}/no-such-jwks?key=S3CRET-KEY` });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL jwks: .*HTTP 404 → check OIDC_JWKS_URL/m);
    expect(r.stdout).not.toContain('S3CRET-KEY');
  });

  it('an issuer nobody answers for: FAIL oidc discovery, exit 1, and Trino still checked', async () => {
    const r = await check({ OIDC_ISSUER: `http://127.0.0.1:${await freePort()}` });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^OK {3}trino: /m);
    expect(r.stdout).toMatch(/^FAIL oidc discovery: .*→ check OIDC_ISSUER/m);
  });

  it('a bad configuration stops before anything is reached: one FAIL line per variable', async () => {
    const r = await check({ OIDC_ISSUER: 'not a url', OAUTH_CLOCK_TOLERANCE: '-1' });
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines.every((l) => l.startsWith('FAIL configuration: '))).toBe(true);
    expect(r.stdout).toContain('OIDC_ISSUER');
    expect(r.stdout).toContain('OAUTH_CLOCK_TOLERANCE');
    expect(r.stdout).not.toMatch(/trino:/);
  });
});
