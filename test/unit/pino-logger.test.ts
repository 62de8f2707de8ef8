import { describe, expect, it } from 'vitest';
import { PinoLogger, urlForLog } from '../../src/adapters/log/pino-logger.ts';
import { envSchema } from '../../src/app/env-schema.ts';
import { errors, ok } from './support/config.ts';

function capture() {
  const writes: string[] = [];
  const log = new PinoLogger({ write: (line) => writes.push(line) });
  const records = () => writes.map((w) => JSON.parse(w) as Record<string, unknown>);
  return { log, writes, records };
}

/** `{ k: { k: … { leaf } } }` nested `depth` levels deep. */
function nest(depth: number, leaf: Record<string, unknown>): Record<string, unknown> {
  let v: Record<string, unknown> = leaf;
  for (let i = 0; i < depth; i++) v = { nested: v };
  return v;
}

describe('PinoLogger', () => {
  it('writes exactly one JSON line per call, with time, level and message', () => {
    const { log, writes, records } = capture();
    log.info('hello', { a: 1 });
    log.warn('careful');
    log.error('broken', { text: 'multi\nline' });
    expect(writes).toHaveLength(3);
    for (const w of writes) {
      expect(w.endsWith('\n')).toBe(true);
      expect(w.slice(0, -1)).not.toContain('\n');
    }
    const [a, b, c] = records();
    expect(a).toMatchObject({ level: 'info', msg: 'hello', a: 1 });
    expect(b).toMatchObject({ level: 'warn', msg: 'careful' });
    expect(c).toMatchObject({ level: 'error', msg: 'broken', text: 'multi\nline' });
    expect(Number.isNaN(Date.parse(String(a!['time'])))).toBe(false);
  });

  it.each(['password', 'TRINO_PASSWORD', 'pass', 'token', 'accessToken', 'secret', 'clientSecret', 'authorization', 'Authorization', 'cookie', 'credentials'])(
    'redacts the value under %j',
    (key) => {
      const { log, writes, records } = capture();
      log.info('x', { [key]: 'S3CRET-VALUE', keep: 'visible' });
      expect(writes[0]).not.toContain('S3CRET-VALUE');
      expect(records()[0]).toMatchObject({ [key]: '[redacted]', keep: 'visible' });
    },
  );

  it('redacts nested objects and arrays', () => {
    const { log, writes, records } = capture();
    log.info('x', {
      config: { trino: { user: 'svc', password: 'S3CRET-1' } },
      headers: [{ Authorization: 'Bearer S3CRET-2' }, { other: 'ok' }],
      token: { nested: 'S3CRET-3' },
    });
    expect(writes[0]).not.toMatch(/S3CRET/);
    const r = records()[0]!;
    expect(r['config']).toEqual({ trino: { user: 'svc', password: '[redacted]' } });
    expect(r['headers']).toEqual([{ Authorization: '[redacted]' }, { other: 'ok' }]);
    expect(r['token']).toBe('[redacted]');
  });

  it.each([1, 2, 3, 4, 5])('redacts a password %i levels deep', (depth) => {
    const { log, writes } = capture();
    log.info('x', nest(depth, { password: 'S3CRET-DEEP' }));
    expect(writes[0]).not.toContain('S3CRET-DEEP');
  });

  // Regression: src/adapters/log/pino-logger.ts, bound (past the depth the redact paths reach).
  it.each([6, 8, 12])('redacts a password %i levels deep', (depth) => {
    const { log, writes } = capture();
    log.info('x', nest(depth, { password: 'S3CRET-DEEP' }));
    expect(writes[0]).not.toContain('S3CRET-DEEP');
  });

  it('keeps undefined secrets out and does not invent keys', () => {
    const { log, records } = capture();
    log.info('x', { password: undefined, n: null, list: [1, 'two'] });
    const r = records()[0]!;
    expect('password' in r).toBe(false);
    expect(r['n']).toBeNull();
    expect(r['list']).toEqual([1, 'two']);
  });

  it('does not mutate the caller’s fields', () => {
    const { log } = capture();
    const fields = { password: 'S3CRET', nested: { token: 'T' } };
    log.info('x', fields);
    expect(fields).toEqual({ password: 'S3CRET', nested: { token: 'T' } });
  });
});

describe('URLs in logs', () => {
  it('drops the query, fragment and user-info of values under *Url / *_uri keys, at any depth', () => {
    const { log, writes, records } = capture();
    log.info('token verification ready', {
      jwksUrl: 'https://idp.example.com/keys?api_key=k3y-s3cr3t&x=1#frag-s3cr3t',
      config: { oauth: { jwks_uri: 'https://ops:p4ss@idp.example.com/jwks' } },
    });
    expect(records()[0]).toMatchObject({
      jwksUrl: 'https://idp.example.com/keys',
      config: { oauth: { jwks_uri: 'https://idp.example.com/jwks' } },
    });
    expect(writes[0]).not.toMatch(/s3cr3t|p4ss/);
  });

  it('leaves plain URLs and non-URLs as they are', () => {
    expect(urlForLog('http://127.0.0.1:80/mcp')).toBe('http://127.0.0.1:80/mcp');
    expect(urlForLog('not a url?x=1')).toBe('not a url?x=1');
    expect(urlForLog('http://[::1]:8080/mcp?x=1')).toBe('http://[::1]:8080/mcp');
  });
});

describe('every secret of the configuration schema', () => {
  // Derived from the schema: a password, passphrase, secret or token variable added later is
  // covered too. A *_FILE or *_URL variable names where a secret is, which the log may show.
  const secretVariables = Object.keys(envSchema.shape).filter((v) => /PASSWORD|PASSPHRASE|SECRET|TOKEN/.test(v) && !/_(FILE|URL)$/.test(v));
  const valueOf = (variable: string) => `S3CRET-${variable}-0123456789abcdef0123456789abcdef`;
  /** What a variable needs beside it for a valid configuration (it is refused where it does not apply). */
  const companions: Record<string, Record<string, string>> = {
    TRINO_ACCESS_TOKEN: { TRINO_AUTH: 'jwt' },
    TRINO_OAUTH_CLIENT_SECRET: { TRINO_AUTH: 'client_credentials', TRINO_OAUTH_CLIENT_ID: 'mcp', TRINO_OAUTH_ISSUER: 'https://idp.example.com/realms/r' },
    TRINO_SSL_KEY_PASSPHRASE: { TRINO_SSL_CERT_FILE: '/etc/trino-mcp/client.pem', TRINO_SSL_KEY_FILE: '/etc/trino-mcp/client.key' },
  };

  it('includes the ones the server has today', () => {
    expect(secretVariables).toEqual(expect.arrayContaining(['TRINO_PASSWORD', 'JWT_SECRET', 'TRINO_ACCESS_TOKEN', 'TRINO_OAUTH_CLIENT_SECRET', 'TRINO_SSL_KEY_PASSPHRASE']));
  });

  it.each(secretVariables)('%s never reaches the start-up line of the configuration', (variable) => {
    const env = { OAUTH_ENABLED: 'true', OAUTH_PROVIDER: 'hmac', JWT_SECRET: valueOf('JWT_SECRET'), ...companions[variable], [variable]: valueOf(variable) };
    const { log, writes } = capture();
    log.info('starting trino-mcp', { config: ok(env), env });
    expect(writes.join('')).not.toContain(valueOf(variable));
  });

  it.each(secretVariables)('%s never reaches an error line about the configuration', (variable) => {
    const lines = errors({ [variable]: valueOf(variable), TRINO_PORT: 'not-a-port', MCP_MAX_BATCH_SIZE: '0' });
    expect(lines.join('\n')).not.toContain(valueOf(variable));
  });

  it('an error carrying request headers and credentials is logged without them', () => {
    const { log, writes } = capture();
    const err = Object.assign(new Error('Request failed with status code 401'), {
      config: { headers: { Authorization: 'Basic UzNDUkVULUJBU0lD' }, auth: { username: 'svc', password: 'S3CRET-AXIOS' } },
    });
    log.error('trino request failed', { error: err, request: { headers: { authorization: 'Bearer S3CRET-BEARER', cookie: 'sid=S3CRET-COOKIE' } } });
    expect(writes[0]).not.toMatch(/S3CRET|UzNDUkVULUJBU0lD/);
    expect(writes[0]).toContain('Request failed with status code 401');
  });
});

describe('on a terminal', () => {
  it('writes human-readable lines (pino-pretty), still redacted', () => {
    const writes: string[] = [];
    const log = new PinoLogger({ write: (l) => writes.push(l), pretty: true });
    log.warn('identity provider unavailable', { password: 'S3CRET-PRETTY', attempt: 2 });
    const text = writes.join('');
    expect(text).toContain('WARN');
    expect(text).toContain('identity provider unavailable');
    expect(text).toContain('attempt: 2');
    expect(text).not.toContain('S3CRET-PRETTY');
    expect(() => JSON.parse(text)).toThrow();
  });

  it('honours the level: below it nothing is written', () => {
    const writes: string[] = [];
    const log = new PinoLogger({ write: (l) => writes.push(l), level: 'warn' });
    log.info('hidden');
    log.warn('shown');
    expect(writes.map((w) => (JSON.parse(w) as { msg: string }).msg)).toEqual(['shown']);
  });
});

describe('LOG_LEVEL', () => {
  it('is read from the environment, info by default', () => {
    expect(ok({}).logLevel).toBe('info');
    expect(ok({ LOG_LEVEL: 'WARN' }).logLevel).toBe('warn');
  });

  it('refuses a level pino does not have, naming the variable', () => {
    expect(errors({ LOG_LEVEL: 'loud' })).toEqual([expect.stringMatching(/^LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent/)]);
  });
});
