import { describe, expect, it } from 'vitest';
import { startupWarnings } from '../../src/app/startup-warnings.ts';
import { ok, startupLogLine } from './support/config.ts';

describe('start-up warnings', () => {
  it('warns when TRINO_PASSWORD would go to Trino over plain HTTP, without the password', () => {
    const warnings = startupWarnings(ok({ TRINO_PASSWORD: 'pw-s3cr3t', TRINO_SCHEME: 'http', TRINO_USER: 'svc', TRINO_ALLOW_INSECURE_AUTH: 'true' }));
    const w = warnings.find((x) => x.message.includes('TRINO_PASSWORD'));
    expect(w).toBeDefined();
    expect(JSON.stringify(warnings)).not.toContain('pw-s3cr3t');
  });

  it.each([
    ['over https', { TRINO_PASSWORD: 'pw', TRINO_SCHEME: 'https' }],
    ['without a password', { TRINO_SCHEME: 'http' }],
  ])('does not warn about the password %s', (_what, env) => {
    expect(startupWarnings(ok(env)).some((w) => w.message.includes('TRINO_PASSWORD'))).toBe(false);
  });

  it('keeps the write and certificate warnings', () => {
    const messages = startupWarnings(ok({ TRINO_ALLOW_WRITE_QUERIES: 'true', TRINO_SSL_INSECURE: 'true' })).map((w) => w.message);
    expect(messages.some((m) => m.startsWith('TRINO_ALLOW_WRITE_QUERIES'))).toBe(true);
    expect(messages.some((m) => m.startsWith('TRINO_SSL_INSECURE'))).toBe(true);
  });

  it('the start-up log of the configuration shows the JWKS URL without its query', () => {
    const config = ok({
      OAUTH_ENABLED: 'true',
      OAUTH_PROVIDER: 'oidc',
      OIDC_ISSUER: 'https://idp.example.com',
      OIDC_JWKS_URL: 'https://idp.example.com/keys?key=k3y-s3cr3t',
    });
    const line = startupLogLine(config);
    expect(line.config.oauth.jwksUrl).toBe('https://idp.example.com/keys');
    expect(JSON.stringify(line)).not.toContain('k3y-s3cr3t');
  });
});
