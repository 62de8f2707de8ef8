/**
 * loadConfig for the HTTP transport, OAuth and impersonation variables. Pure: no process,
 * no network. Errors are checked by the variable they name, not their wording.
 */
import { describe, expect, it } from 'vitest';
import { errors, ok, startupLogLine } from './support/config.ts';


/** Exactly one error line, and it starts with the variable's name. */
function expectOneLineNaming(env: Record<string, string | undefined>, variable: string): void {
  const lines = errors(env);
  expect(lines, lines.join('\n')).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^${variable}\\b`));
  expect(lines[0]).not.toContain('\n');
}

const HTTP = { MCP_TRANSPORT: 'http' } as const;
const SECRET = 'x'.repeat(32);
const HMAC = { ...HTTP, OAUTH_ENABLED: 'true', OAUTH_PROVIDER: 'hmac', JWT_SECRET: SECRET } as const;
const OIDC = { ...HTTP, OAUTH_ENABLED: 'true', OIDC_ISSUER: 'https://idp.example.com' } as const;

describe('HTTP transport defaults', () => {
  const config = ok(HTTP);

  it('binds to loopback on 8080 with the documented limits', () => {
    expect(config.transport).toBe('http');
    expect(config.http).toEqual({
      host: '127.0.0.1',
      port: 8080,
      resourceUrl: 'http://127.0.0.1:8080/mcp',
      loopback: true,
      allowUnauthenticated: false,
      allowedOrigins: [],
      tls: undefined,
      trustProxy: false,
      maxBodyBytes: 1024 * 1024,
      shutdownGraceMs: 30_000,
      maxBatchSize: 20,
      headersTimeoutMs: 20_000,
      requestTimeoutMs: 60_000,
      keepAliveTimeoutMs: 5_000,
      maxSseStreams: 100,
      maxSseStreamsPerUser: 5,
    });
  });

  it('has no OAuth and no impersonation unless asked', () => {
    expect(config.oauth).toBeUndefined();
    expect(config.impersonation).toBeUndefined();
  });

  it('the HTTP defaults also exist for stdio (unused there)', () => {
    expect(ok({}).http.resourceUrl).toBe('http://127.0.0.1:8080/mcp');
  });
});

describe('HTTP transport values', () => {
  it('reads MCP_HOST, MCP_PORT, MCP_MAX_BODY_BYTES, MCP_SHUTDOWN_TIMEOUT, MCP_TRUST_PROXY', () => {
    const http = ok({ ...HTTP, MCP_HOST: 'localhost', MCP_PORT: '9000', MCP_MAX_BODY_BYTES: '2048', MCP_SHUTDOWN_TIMEOUT: '2', MCP_TRUST_PROXY: 'yes' }).http;
    expect(http).toMatchObject({ host: 'localhost', port: 9000, resourceUrl: 'http://localhost:9000/mcp', loopback: true, maxBodyBytes: 2048, shutdownGraceMs: 2000, trustProxy: true });
  });

  it('reads the timeouts (seconds) and refuses a headers timeout beyond the request timeout', () => {
    expect(ok({ ...HTTP, MCP_HEADERS_TIMEOUT: '2', MCP_REQUEST_TIMEOUT: '2', MCP_KEEPALIVE_TIMEOUT: '1' }).http).toMatchObject({
      headersTimeoutMs: 2_000,
      requestTimeoutMs: 2_000,
      keepAliveTimeoutMs: 1_000,
    });
    expectOneLineNaming({ ...HTTP, MCP_HEADERS_TIMEOUT: '61' }, 'MCP_HEADERS_TIMEOUT');
    expectOneLineNaming({ ...HTTP, MCP_HEADERS_TIMEOUT: '5', MCP_REQUEST_TIMEOUT: '4' }, 'MCP_HEADERS_TIMEOUT');
  });

  it('MCP_URL overrides the resource URL', () => {
    expect(ok({ ...HTTP, MCP_URL: 'https://mcp.example.com/mcp' }).http.resourceUrl).toBe('https://mcp.example.com/mcp');
  });

  it.each([
    ['127.0.0.1', true, 'http://127.0.0.1:8080/mcp'],
    ['127.1.2.3', true, 'http://127.1.2.3:8080/mcp'],
    ['localhost', true, 'http://localhost:8080/mcp'],
    ['LOCALHOST', true, 'http://LOCALHOST:8080/mcp'],
    ['::1', true, 'http://[::1]:8080/mcp'],
    ['[::1]', true, 'http://[::1]:8080/mcp'],
    ['0.0.0.0', false, 'http://127.0.0.1:8080/mcp'],
    ['10.1.2.3', false, 'http://10.1.2.3:8080/mcp'],
  ])('MCP_HOST=%s: loopback=%s, resource %s', (host, loopback, resourceUrl) => {
    const http = ok({ ...HTTP, MCP_HOST: host, MCP_ALLOW_UNAUTHENTICATED: 'true' }).http;
    expect(http.loopback).toBe(loopback);
    expect(http.resourceUrl).toBe(resourceUrl);
    expect(http.host).toBe(host.replace(/^\[(.*)\]$/, '$1'));
  });

  it('MCP_ALLOWED_ORIGINS: comma- or space-separated origins, a trailing slash tolerated', () => {
    const http = ok({ ...HTTP, MCP_ALLOWED_ORIGINS: 'https://app.example, http://localhost:3000/  https://b.example:8443' }).http;
    expect(http.allowedOrigins).toEqual(['https://app.example', 'http://localhost:3000', 'https://b.example:8443']);
  });

  it.each(['https://app.example/path', 'app.example', 'not an origin://'])('MCP_ALLOWED_ORIGINS=%j → one line naming it', (value) => {
    const lines = errors({ ...HTTP, MCP_ALLOWED_ORIGINS: value });
    expect(lines.length).toBeGreaterThanOrEqual(1);
    for (const line of lines) expect(line).toMatch(/^MCP_ALLOWED_ORIGINS\b/);
  });

  it('MCP_HTTPS with both files: TLS on, https resource URL', () => {
    const http = ok({ ...HTTP, MCP_HTTPS: 'true', HTTPS_CERT_FILE: '/c.pem', HTTPS_KEY_FILE: '/k.pem', MCP_PORT: '8443' }).http;
    expect(http.tls).toEqual({ certFile: '/c.pem', keyFile: '/k.pem' });
    expect(http.resourceUrl).toBe('https://127.0.0.1:8443/mcp');
  });

  it('files without MCP_HTTPS do not turn TLS on', () => {
    expect(ok({ ...HTTP, HTTPS_CERT_FILE: '/c.pem', HTTPS_KEY_FILE: '/k.pem' }).http.tls).toBeUndefined();
  });

  it('MCP_HTTPS without a certificate or a key → one line naming the missing file variable', () => {
    expectOneLineNaming({ ...HTTP, MCP_HTTPS: 'true', HTTPS_KEY_FILE: '/k.pem' }, 'HTTPS_CERT_FILE');
    expectOneLineNaming({ ...HTTP, MCP_HTTPS: 'true', HTTPS_CERT_FILE: '/c.pem' }, 'HTTPS_KEY_FILE');
  });

  it('no OAuth on a non-loopback address needs MCP_ALLOW_UNAUTHENTICATED', () => {
    expectOneLineNaming({ ...HTTP, MCP_HOST: '0.0.0.0' }, 'MCP_HOST');
    expect(errors({ ...HTTP, MCP_HOST: '0.0.0.0' })[0]).toContain('MCP_ALLOW_UNAUTHENTICATED');
    expect(ok({ ...HTTP, MCP_HOST: '0.0.0.0', MCP_ALLOW_UNAUTHENTICATED: 'true' }).http.allowUnauthenticated).toBe(true);
    // stdio never listens: MCP_HOST does not matter there.
    expect(ok({ MCP_HOST: '0.0.0.0' }).transport).toBe('stdio');
  });
});

describe('OAuth', () => {
  it.each([
    ['OAUTH_ENABLED', 'true'],
    ['OAUTH_ENABLED', '1'],
    ['TRINO_OAUTH_ENABLED', 'true'],
    ['TRINO_OAUTH_ENABLED', 'YES'],
  ])('%s=%s turns OAuth on', (name, value) => {
    const config = ok({ ...HTTP, [name]: value, JWT_SECRET: SECRET });
    expect(config.oauth).toBeDefined();
  });

  it('TRINO_OAUTH_ENABLED wins over OAUTH_ENABLED when both are set', () => {
    expect(ok({ ...HTTP, TRINO_OAUTH_ENABLED: 'false', OAUTH_ENABLED: 'true', JWT_SECRET: SECRET }).oauth).toBeUndefined();
    expect(ok({ ...HTTP, TRINO_OAUTH_ENABLED: 'true', OAUTH_ENABLED: 'false', JWT_SECRET: SECRET }).oauth).toBeDefined();
  });

  it.each([
    ['OAUTH_ENABLED', 'false'],
    ['TRINO_OAUTH_ENABLED', 'no'],
    ['OAUTH_ENABLED', ''],
  ])('%s=%j leaves OAuth off', (name, value) => {
    expect(ok({ ...HTTP, [name]: value, JWT_SECRET: SECRET }).oauth).toBeUndefined();
  });

  it('HMAC: secret, no issuer unless given, default tolerance 30 s, JWKS cooldown 30 s, no required scopes', () => {
    expect(ok(HMAC).oauth).toEqual({
      provider: 'hmac',
      providerName: 'hmac',
      issuer: undefined,
      jwksUrl: undefined,
      audiences: ['http://127.0.0.1:8080/mcp', 'http://127.0.0.1:8080/sse'],
      secret: SECRET,
      clockToleranceSec: 30,
      jwksCooldownMs: 30_000,
      requiredScopes: [],
      writeScope: undefined,
    });
    expect(ok({ ...HMAC, OIDC_JWKS_COOLDOWN: '1' }).oauth?.jwksCooldownMs).toBe(1_000);
    expect(ok({ ...HMAC, OIDC_JWKS_COOLDOWN: '0' }).oauth?.jwksCooldownMs).toBe(0);
    expectOneLineNaming({ ...HMAC, OIDC_JWKS_COOLDOWN: '3601' }, 'OIDC_JWKS_COOLDOWN');
    expectOneLineNaming({ ...HMAC, OIDC_JWKS_COOLDOWN: '1.5' }, 'OIDC_JWKS_COOLDOWN');
    expect(ok({ ...HMAC, OIDC_ISSUER: 'https://issuer.example/' }).oauth?.issuer).toBe('https://issuer.example');
  });

  it('the provider is inferred: JWT_SECRET alone → hmac; an issuer → oidc', () => {
    expect(ok({ ...HTTP, OAUTH_ENABLED: 'true', JWT_SECRET: SECRET }).oauth?.provider).toBe('hmac');
    const oidc = ok({ ...HTTP, OAUTH_ENABLED: 'true', JWT_SECRET: SECRET, OIDC_ISSUER: 'https://idp.example.com' }).oauth!;
    expect(oidc.provider).toBe('oidc');
    expect(oidc.secret).toBeUndefined(); // the secret is only for HMAC
  });

  it('OIDC: issuer without a trailing slash, JWKS URL passed through', () => {
    const oauth = ok({ ...OIDC, OIDC_ISSUER: 'https://idp.example.com/realms/x/', OIDC_JWKS_URL: 'https://idp.example.com/keys' }).oauth!;
    expect(oauth).toMatchObject({ provider: 'oidc', providerName: 'oidc', issuer: 'https://idp.example.com/realms/x', jwksUrl: 'https://idp.example.com/keys' });
  });

  it('the google preset knows its issuer', () => {
    const oauth = ok({ ...HTTP, OAUTH_ENABLED: 'true', OAUTH_PROVIDER: 'Google' }).oauth!;
    expect(oauth).toMatchObject({ provider: 'oidc', providerName: 'google', issuer: 'https://accounts.google.com' });
    expect(ok({ ...HTTP, OAUTH_ENABLED: 'true', OAUTH_PROVIDER: 'google', OIDC_ISSUER: 'https://other.example' }).oauth?.issuer).toBe(
      'https://other.example',
    );
  });

  it.each(['oidc', 'okta', 'azure', 'auth0', 'keycloak', 'entra'])('OAUTH_PROVIDER=%s without OIDC_ISSUER → one line naming OIDC_ISSUER', (provider) => {
    expectOneLineNaming({ ...HTTP, OAUTH_ENABLED: 'true', OAUTH_PROVIDER: provider }, 'OIDC_ISSUER');
  });

  it.each(['okta', 'azure', 'auth0', 'keycloak', 'entra'])('OAUTH_PROVIDER=%s is OIDC', (provider) => {
    expect(ok({ ...OIDC, OAUTH_PROVIDER: provider }).oauth).toMatchObject({ provider: 'oidc', providerName: provider });
  });

  it('audiences default to the resource URL and its /sse sibling', () => {
    expect(ok({ ...OIDC, MCP_URL: 'https://mcp.example.com/mcp' }).oauth?.audiences).toEqual(['https://mcp.example.com/mcp', 'https://mcp.example.com/sse']);
    expect(ok({ ...OIDC, MCP_PORT: '9999' }).oauth?.audiences).toEqual(['http://127.0.0.1:9999/mcp', 'http://127.0.0.1:9999/sse']);
  });

  it('the /sse audience is derived from the origin of MCP_URL (documented: a path prefix is not supported)', () => {
    expect(ok({ ...OIDC, MCP_URL: 'https://h.example/tenant/mcp' }).oauth?.audiences).toEqual(['https://h.example/tenant/mcp', 'https://h.example/sse']);
  });

  it('OIDC_AUDIENCE replaces the default audiences', () => {
    expect(ok({ ...OIDC, OIDC_AUDIENCE: 'api://trino-mcp' }).oauth?.audiences).toEqual(['api://trino-mcp']);
  });

  it('OAUTH_CLOCK_TOLERANCE and OAUTH_REQUIRED_SCOPES', () => {
    const oauth = ok({ ...OIDC, OAUTH_CLOCK_TOLERANCE: '0', OAUTH_REQUIRED_SCOPES: 'trino:read, trino:write  openid' }).oauth!;
    expect(oauth.clockToleranceSec).toBe(0);
    expect(oauth.requiredScopes).toEqual(['trino:read', 'trino:write', 'openid']);
    expect(ok({ ...OIDC, OAUTH_CLOCK_TOLERANCE: '600' }).oauth?.clockToleranceSec).toBe(600);
  });

  it('JWT_SECRET is counted in bytes: 31 → refused; 32 → accepted; 11 three-byte characters → accepted', () => {
    expectOneLineNaming({ ...HMAC, JWT_SECRET: 'x'.repeat(31) }, 'JWT_SECRET');
    expectOneLineNaming({ ...HMAC, JWT_SECRET: '0123456789' }, 'JWT_SECRET');
    expect(ok({ ...HMAC, JWT_SECRET: 'x'.repeat(32) }).oauth?.secret).toHaveLength(32);
    expect(ok({ ...HMAC, JWT_SECRET: '€'.repeat(11) }).oauth?.provider).toBe('hmac');
  });

  it('HMAC without JWT_SECRET → one line naming JWT_SECRET', () => {
    expectOneLineNaming({ ...HTTP, OAUTH_ENABLED: 'true', OAUTH_PROVIDER: 'hmac' }, 'JWT_SECRET');
  });

  it('OAuth over plain HTTP on a non-loopback address → one line naming MCP_HTTPS', () => {
    expectOneLineNaming({ ...HMAC, MCP_HOST: '0.0.0.0' }, 'MCP_HTTPS');
    expectOneLineNaming({ ...OIDC, MCP_HOST: '10.0.0.5' }, 'MCP_HTTPS');
  });

  it('… allowed with MCP_HTTPS (and files) or MCP_TRUST_PROXY, or over stdio', () => {
    expect(ok({ ...HMAC, MCP_HOST: '0.0.0.0', MCP_HTTPS: 'true', HTTPS_CERT_FILE: '/c', HTTPS_KEY_FILE: '/k' }).oauth).toBeDefined();
    expect(ok({ ...HMAC, MCP_HOST: '0.0.0.0', MCP_TRUST_PROXY: 'true' }).oauth).toBeDefined();
    expect(ok({ ...HMAC, MCP_TRANSPORT: 'stdio', MCP_HOST: '0.0.0.0' }).oauth).toBeDefined();
  });

  it('reports every OAuth problem at once', () => {
    const lines = errors({ ...HTTP, MCP_HOST: '0.0.0.0', OAUTH_ENABLED: 'true', OAUTH_PROVIDER: 'hmac', JWT_SECRET: 'short' });
    expect(lines.map((l) => /^[A-Z_]+/.exec(l)?.[0]).sort()).toEqual(['JWT_SECRET', 'MCP_HTTPS']);
  });
});

describe('impersonation', () => {
  it.each([
    [{ TRINO_IMPERSONATE: 'true' }, 'preferred_username'],
    [{ TRINO_ENABLE_IMPERSONATION: 'true' }, 'preferred_username'],
    [{ TRINO_IMPERSONATE: 'true', TRINO_IMPERSONATION_CLAIM: 'email' }, 'email'],
    [{ TRINO_IMPERSONATE: 'true', TRINO_IMPERSONATION_CLAIM: 'sub' }, 'sub'],
    [{ TRINO_IMPERSONATE: 'true', TRINO_IMPERSONATION_CLAIM: 'username' }, 'preferred_username'],
    [{ TRINO_IMPERSONATE: 'true', TRINO_IMPERSONATION_CLAIM: 'subject' }, 'sub'],
    [{ TRINO_IMPERSONATE: 'true', TRINO_IMPERSONATION_CLAIM: 'Preferred_Username' }, 'preferred_username'],
    [{ TRINO_ENABLE_IMPERSONATION: 'yes', TRINO_IMPERSONATION_FIELD: 'username' }, 'preferred_username'],
    [{ TRINO_ENABLE_IMPERSONATION: '1', TRINO_IMPERSONATION_FIELD: 'subject' }, 'sub'],
    [{ TRINO_IMPERSONATE: 'true', TRINO_IMPERSONATION_FIELD: 'email' }, 'email'],
  ] as Array<[Record<string, string>, string]>)('%j → claim %s', (env, claim) => {
    expect(ok({ ...HMAC, ...env }).impersonation).toBe(claim);
  });

  it('off unless enabled, whatever the claim', () => {
    expect(ok({ ...HMAC, TRINO_IMPERSONATION_CLAIM: 'email' }).impersonation).toBeUndefined();
    expect(ok({ ...HMAC, TRINO_IMPERSONATE: 'false' }).impersonation).toBeUndefined();
  });

  it('needs OAuth: one line naming TRINO_IMPERSONATE', () => {
    expectOneLineNaming({ ...HTTP, TRINO_IMPERSONATE: 'true' }, 'TRINO_IMPERSONATE');
    expectOneLineNaming({ ...HTTP, TRINO_ENABLE_IMPERSONATION: 'true' }, 'TRINO_IMPERSONATE');
  });
});

describe('bad values: one line naming the variable', () => {
  it.each([
    ['MCP_TRANSPORT', 'sse'],
    ['MCP_HOST', '   '],
    ['MCP_PORT', '0'],
    ['MCP_PORT', '65536'],
    ['MCP_PORT', 'http'],
    ['MCP_URL', 'ftp://mcp.example.com/mcp'],
    ['MCP_URL', 'mcp.example.com/mcp'],
    ['MCP_ALLOW_UNAUTHENTICATED', 'maybe'],
    ['MCP_HTTPS', 'on'],
    ['MCP_TRUST_PROXY', 'sure'],
    ['MCP_MAX_BODY_BYTES', '0'],
    ['MCP_MAX_BODY_BYTES', '1MB'],
    ['MCP_MAX_BODY_BYTES', String(64 * 1024 * 1024 + 1)],
    ['MCP_SHUTDOWN_TIMEOUT', '0'],
    ['MCP_SHUTDOWN_TIMEOUT', '3601'],
    ['MCP_SHUTDOWN_TIMEOUT', '2.5'],
    ['OAUTH_ENABLED', 'enabled'],
    ['TRINO_OAUTH_ENABLED', 'y'],
    ['OAUTH_PROVIDER', 'github'],
    ['OIDC_ISSUER', 'idp.example.com'],
    ['OIDC_ISSUER', 'ldap://idp.example.com'],
    ['OIDC_JWKS_URL', '/keys'],
    ['OIDC_AUDIENCE', '  '],
    ['OAUTH_CLOCK_TOLERANCE', '601'],
    ['OAUTH_CLOCK_TOLERANCE', '-1'],
    ['OAUTH_CLOCK_TOLERANCE', '5s'],
    ['TRINO_IMPERSONATE', 'please'],
    ['TRINO_ENABLE_IMPERSONATION', '2'],
    ['TRINO_IMPERSONATION_CLAIM', 'name'],
    ['TRINO_IMPERSONATION_FIELD', 'upn'],
    ['HTTPS_CERT_FILE', '  '],
    ['HTTPS_KEY_FILE', '  '],
  ])('%s=%j', (name, value) => {
    expectOneLineNaming({ ...HTTP, [name]: value }, name);
  });

  it('never echoes JWT_SECRET in an error', () => {
    const lines = errors({ ...HMAC, JWT_SECRET: 'short-s3cr3t', MCP_PORT: 'x' });
    expect(lines.join('\n')).not.toContain('short-s3cr3t');
    const lines2 = errors({ ...HMAC, JWT_SECRET: 'short-s3cr3t' });
    expect(lines2.join('\n')).not.toContain('short-s3cr3t');
  });

  it('empty variables count as unset', () => {
    expect(
      ok({
        ...HTTP,
        MCP_HOST: '',
        MCP_PORT: '',
        MCP_URL: '',
        MCP_ALLOWED_ORIGINS: '',
        MCP_HTTPS: '',
        OAUTH_ENABLED: '',
        TRINO_OAUTH_ENABLED: '',
        OAUTH_PROVIDER: '',
        OAUTH_CLOCK_TOLERANCE: '',
        TRINO_IMPERSONATE: '',
        MCP_MAX_BODY_BYTES: '',
        MCP_SHUTDOWN_TIMEOUT: '',
      }),
    ).toEqual(ok(HTTP));
  });
});

describe('the start-up log with OAuth', () => {
  it('hides JWT_SECRET (and the Trino password) and keeps the rest in clear', () => {
    const secret = 'hmac-s3cr3t-that-is-long-enough-for-hs256';
    const config = ok({ ...HMAC, JWT_SECRET: secret, TRINO_PASSWORD: 'pw-s3cr3t', OAUTH_REQUIRED_SCOPES: 'trino:read' });
    const line = startupLogLine(config);
    const text = JSON.stringify(line);
    expect(text).not.toContain(secret);
    expect(text).not.toContain('pw-s3cr3t');
    expect(line.config.oauth.secret).toBe('[redacted]');
    expect(line.config.oauth).toMatchObject({ provider: 'hmac', requiredScopes: ['trino:read'], audiences: config.oauth!.audiences });
    expect(line.config.http).toEqual(JSON.parse(JSON.stringify(config.http)));
    expect(config.oauth?.secret).toBe(secret);
  });

  it('OIDC has no secret to show; without OAuth there is no oauth section', () => {
    expect(startupLogLine(ok(OIDC)).config.oauth.secret).toBeUndefined();
    expect(startupLogLine(ok(HTTP)).config.oauth).toBeUndefined();
  });
});
