/** TRINO_AUTH and TRINO_SSL_*: every mode checked at start, one line naming the variable, no secret in the log. */
import { describe, expect, it } from 'vitest';
import { errors, ok, startupLogLine } from './support/config.ts';

const HTTP_OAUTH = { MCP_TRANSPORT: 'http', OAUTH_ENABLED: 'true', OAUTH_PROVIDER: 'oidc', OIDC_ISSUER: 'https://idp.example.com' };
const CLIENT = { TRINO_OAUTH_TOKEN_URL: 'https://idp.example.com/token', TRINO_OAUTH_CLIENT_ID: 'svc', TRINO_OAUTH_CLIENT_SECRET: 'client-s3cret' };

describe('TRINO_AUTH', () => {
  it('keeps the old default: basic with TRINO_PASSWORD, else none', () => {
    expect(ok({}).trino.auth).toEqual({ mode: 'none' });
    expect(ok({ TRINO_PASSWORD: 'pw' }).trino.auth).toEqual({ mode: 'basic', password: 'pw' });
  });

  it.each([
    ['basic without a password', { TRINO_AUTH: 'basic' }, 'TRINO_PASSWORD'],
    ['basic over plain HTTP', { TRINO_AUTH: 'basic', TRINO_PASSWORD: 'pw', TRINO_SCHEME: 'http' }, 'TRINO_SCHEME'],
    ['the default basic over plain HTTP', { TRINO_PASSWORD: 'pw', TRINO_SSL: 'false' }, 'TRINO_SCHEME'],
    ['a password with jwt', { TRINO_AUTH: 'jwt', TRINO_ACCESS_TOKEN: 'a.b.c', TRINO_PASSWORD: 'pw' }, 'TRINO_PASSWORD'],
    ['jwt without a token', { TRINO_AUTH: 'jwt' }, 'TRINO_ACCESS_TOKEN'],
    ['jwt with both token variables', { TRINO_AUTH: 'jwt', TRINO_ACCESS_TOKEN: 'a.b.c', TRINO_ACCESS_TOKEN_FILE: '/t' }, 'TRINO_ACCESS_TOKEN_FILE'],
    ['a token that is not one', { TRINO_AUTH: 'jwt', TRINO_ACCESS_TOKEN: 'a b\r\nX-Evil: 1' }, 'TRINO_ACCESS_TOKEN'],
    ['jwt over plain HTTP', { TRINO_AUTH: 'jwt', TRINO_ACCESS_TOKEN: 'a.b.c', TRINO_SCHEME: 'http' }, 'TRINO_SCHEME'],
    ['client_credentials without an endpoint', { TRINO_AUTH: 'client_credentials', TRINO_OAUTH_CLIENT_ID: 'svc', TRINO_OAUTH_CLIENT_SECRET: 's' }, 'TRINO_OAUTH_TOKEN_URL'],
    ['client_credentials without a client id', { TRINO_AUTH: 'client_credentials', TRINO_OAUTH_TOKEN_URL: 'https://idp/token', TRINO_OAUTH_CLIENT_SECRET: 's' }, 'TRINO_OAUTH_CLIENT_ID'],
    ['client_credentials without a secret', { TRINO_AUTH: 'client_credentials', TRINO_OAUTH_TOKEN_URL: 'https://idp/token', TRINO_OAUTH_CLIENT_ID: 'svc' }, 'TRINO_OAUTH_CLIENT_SECRET'],
    ['both secret variables', { TRINO_AUTH: 'client_credentials', ...CLIENT, TRINO_OAUTH_CLIENT_SECRET_FILE: '/s' }, 'TRINO_OAUTH_CLIENT_SECRET_FILE'],
    ['a plain-http token endpoint off loopback', { TRINO_AUTH: 'client_credentials', ...CLIENT, TRINO_OAUTH_TOKEN_URL: 'http://idp.example.com/token' }, 'TRINO_OAUTH_TOKEN_URL'],
    ['a scope with quotes', { TRINO_AUTH: 'client_credentials', ...CLIENT, TRINO_OAUTH_SCOPE: 'a "b"' }, 'TRINO_OAUTH_SCOPE'],
    ['OAuth variables without an OAuth mode', { TRINO_OAUTH_CLIENT_ID: 'svc' }, 'TRINO_OAUTH_CLIENT_ID'],
    ['token_exchange over stdio', { TRINO_AUTH: 'token_exchange', ...CLIENT, TRINO_OAUTH_AUDIENCE: 'trino' }, 'TRINO_AUTH'],
    ['token_exchange without an audience', { ...HTTP_OAUTH, TRINO_AUTH: 'token_exchange', ...CLIENT }, 'TRINO_OAUTH_AUDIENCE'],
    ['token_exchange with impersonation', { ...HTTP_OAUTH, TRINO_AUTH: 'token_exchange', ...CLIENT, TRINO_OAUTH_AUDIENCE: 'trino', TRINO_IMPERSONATE: 'true' }, 'TRINO_IMPERSONATE'],
    ['an unknown mode', { TRINO_AUTH: 'kerberos' }, 'TRINO_AUTH'],
    ['a certificate without its key', { TRINO_SSL_CERT_FILE: '/c.pem' }, 'TRINO_SSL_KEY_FILE'],
    ['a passphrase without a key', { TRINO_SSL_KEY_PASSPHRASE: 'p' }, 'TRINO_SSL_KEY_PASSPHRASE'],
    ['a CA over plain HTTP', { TRINO_SCHEME: 'http', TRINO_SSL_CA_FILE: '/ca.pem' }, 'TRINO_SSL_CA_FILE'],
    ['a server name that is not a host name', { TRINO_SSL_SERVERNAME: 'evil/../x' }, 'TRINO_SSL_SERVERNAME'],
  ])('refuses %s, naming the variable', (_what, env, variable) => {
    const lines = errors(env);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.startsWith(variable)).toBe(true);
    expect(lines.join('\n')).not.toMatch(/client-s3cret|pw\b/);
  });

  it('allows basic over plain HTTP only with TRINO_ALLOW_INSECURE_AUTH=true', () => {
    expect(ok({ TRINO_AUTH: 'basic', TRINO_PASSWORD: 'pw', TRINO_SCHEME: 'http', TRINO_ALLOW_INSECURE_AUTH: 'true' }).trino.auth.mode).toBe('basic');
  });

  it('accepts each mode with its variables', () => {
    expect(ok({ TRINO_AUTH: 'jwt', TRINO_ACCESS_TOKEN_FILE: '/run/secrets/trino-token' }).trino.auth).toEqual({ mode: 'jwt', tokenFile: '/run/secrets/trino-token' });
    expect(ok({ TRINO_AUTH: 'client_credentials', TRINO_OAUTH_ISSUER: 'https://idp.example.com/', TRINO_OAUTH_CLIENT_ID: 'svc', TRINO_OAUTH_CLIENT_SECRET_FILE: '/s' }).trino.auth).toMatchObject({
      mode: 'client_credentials',
      oauth: { issuer: 'https://idp.example.com', clientId: 'svc', clientSecretFile: '/s' },
    });
    expect(ok({ ...HTTP_OAUTH, TRINO_AUTH: 'token_exchange', ...CLIENT, TRINO_OAUTH_AUDIENCE: 'trino' }).trino.auth.mode).toBe('token_exchange');
    expect(ok({ TRINO_AUTH: 'client_credentials', ...CLIENT, TRINO_OAUTH_TOKEN_URL: 'http://127.0.0.1:8081/token' }).trino.auth.mode).toBe('client_credentials');
  });

  it.each([
    ['basic', { TRINO_AUTH: 'basic', TRINO_PASSWORD: 'pw-s3cr3t' }, 'pw-s3cr3t'],
    ['jwt', { TRINO_AUTH: 'jwt', TRINO_ACCESS_TOKEN: 'eyJ.tok3n.sig' }, 'eyJ.tok3n.sig'],
    ['client_credentials', { TRINO_AUTH: 'client_credentials', ...CLIENT }, 'client-s3cret'],
    ['a key passphrase', { TRINO_SSL_CERT_FILE: '/c', TRINO_SSL_KEY_FILE: '/k', TRINO_SSL_KEY_PASSPHRASE: 'pass-phr4se' }, 'pass-phr4se'],
  ] as Array<[string, Record<string, string>, string]>)('the start-up log names the mode (%s) and no secret', (_what, env, secret) => {
    const line = startupLogLine(ok(env));
    expect(line.config.trino.auth.mode).toBe(env['TRINO_AUTH'] ?? 'none');
    expect(JSON.stringify(line)).not.toContain(secret);
  });
});
