import { describe, expect, it } from 'vitest';
import { errors, ok, startupLogLine } from './support/config.ts';


describe('loadConfig defaults', () => {
  const config = ok({});

  it('uses the documented defaults', () => {
    expect(config.trino.user).toBe('trino');
    expect(config.trino.host).toBe('localhost');
    expect(config.trino.port).toBe(8080);
    expect(config.trino.password).toBeUndefined();
    expect(config.queryTimeoutMs).toBe(300_000);
    expect(config.maxRows).toBe(1000);
    expect(config.trino.verifyCertificates).toBe(true);
    expect(config.allowWriteQueries).toBe(false);
    expect(config.allowPassthrough).toBe(false);
    expect(config.allowlist).toEqual({ catalogs: [], schemas: [], tables: [] });
    expect(config.transport).toBe('stdio');
    expect(config.defaults).toEqual({ catalog: 'memory', schema: 'default' });
    expect(config.limits).toEqual({
      maxResultBytes: 4 * 1024 * 1024,
      maxValueBytes: 64 * 1024,
      maxConcurrentQueries: 16,
      maxConcurrentQueriesPerUser: 4,
      maxQueuedQueries: 64,
      queueTimeoutMs: 5_000,
    });
    expect(config.allowedTableFunctions).toEqual([]);
  });

  it('speaks https by default', () => {
    expect(config.trino.scheme).toBe('https');
    expect(config.trino.server).toBe('https://localhost:8080');
  });

  it('ignores unrelated variables', () => {
    expect(ok({ PATH: '/bin', HOME: '/root' })).toEqual(config);
  });
});

describe('loadConfig values', () => {
  it('reads every variable', () => {
    const config = ok({
      TRINO_HOST: 'trino.example.com',
      TRINO_PORT: '8443',
      TRINO_USER: 'svc',
      TRINO_PASSWORD: 'hunter2',
      TRINO_CATALOG: 'hive',
      TRINO_SCHEMA: 'sales',
      TRINO_SSL_INSECURE: 'true',
      TRINO_ALLOW_WRITE_QUERIES: 'yes',
      TRINO_QUERY_TIMEOUT: '60',
      TRINO_MAX_ROWS: '50',
      TRINO_HTTP_COMPRESSION: 'true',
      MCP_PROGRESS_INTERVAL_MS: '250',
      MCP_TRANSPORT: 'STDIO',
    });
    expect(config.trino).toEqual({
      host: 'trino.example.com',
      port: 8443,
      scheme: 'https',
      user: 'svc',
      password: 'hunter2',
      verifyCertificates: false,
      server: 'https://trino.example.com:8443',
      compression: true,
      auth: { mode: 'basic', password: 'hunter2' },
      tls: { verify: false },
    });
    expect(config.progressIntervalMs).toBe(250);
    expect(config.defaults).toEqual({ catalog: 'hive', schema: 'sales' });
    expect(config.allowWriteQueries).toBe(true);
    expect(config.queryTimeoutMs).toBe(60_000);
    expect(config.maxRows).toBe(50);
  });

  it('uses http when TRINO_SSL=false', () => {
    const config = ok({ TRINO_SSL: 'false' });
    expect(config.trino.scheme).toBe('http');
    expect(config.trino.server).toBe('http://localhost:8080');
  });

  it.each([
    ['TRINO_SCHEME=http wins over TRINO_SSL=true', { TRINO_SCHEME: 'http', TRINO_SSL: 'true' }, 'http'],
    ['TRINO_SCHEME=https wins over TRINO_SSL=false', { TRINO_SCHEME: 'https', TRINO_SSL: 'false' }, 'https'],
    ['TRINO_SCHEME is case-insensitive', { TRINO_SCHEME: 'HTTP' }, 'http'],
  ])('%s', (_name, env, scheme) => {
    expect(ok(env).trino.scheme).toBe(scheme);
  });

  it.each([
    ['true', true],
    ['1', true],
    ['yes', true],
    [' TRUE ', true],
    ['false', false],
    ['0', false],
    ['no', false],
  ])('reads TRINO_ALLOW_WRITE_QUERIES=%j as %s', (value, expected) => {
    expect(ok({ TRINO_ALLOW_WRITE_QUERIES: value }).allowWriteQueries).toBe(expected);
  });

  it('brackets an IPv6 host in the server URL', () => {
    expect(ok({ TRINO_HOST: '::1', TRINO_SSL: 'false' }).trino.server).toBe('http://[::1]:8080');
  });

  it('accepts the bounds of the numeric ranges', () => {
    expect(ok({ TRINO_PORT: '1' }).trino.port).toBe(1);
    expect(ok({ TRINO_PORT: '65535' }).trino.port).toBe(65535);
    expect(ok({ TRINO_MAX_ROWS: '1' }).maxRows).toBe(1);
    expect(ok({ TRINO_QUERY_TIMEOUT: '86400' }).queryTimeoutMs).toBe(86_400_000);
  });

  it('treats empty strings as unset', () => {
    const config = ok({
      TRINO_HOST: '',
      TRINO_PORT: '',
      TRINO_USER: '',
      TRINO_PASSWORD: '',
      TRINO_CATALOG: '',
      TRINO_SCHEMA: '',
      TRINO_SCHEME: '',
      TRINO_SSL: '',
      TRINO_SSL_INSECURE: '',
      TRINO_ALLOW_WRITE_QUERIES: '',
      TRINO_ALLOW_PASSTHROUGH_FUNCTIONS: '',
      TRINO_ALLOWED_CATALOGS: '',
      TRINO_ALLOWED_SCHEMAS: '',
      TRINO_ALLOWED_TABLES: '',
      OAUTH_WRITE_SCOPE: '',
      TRINO_QUERY_TIMEOUT: '',
      TRINO_MAX_ROWS: '',
      MCP_TRANSPORT: '',
    });
    expect(config).toEqual(ok({}));
  });
});

describe('loadConfig errors', () => {
  it.each([
    ['TRINO_PORT', 'abc'],
    ['TRINO_PORT', '70000'],
    ['TRINO_PORT', '0'],
    ['TRINO_PORT', '80.5'],
    ['TRINO_MAX_ROWS', '0'],
    ['TRINO_MAX_ROWS', '1000001'],
    ['TRINO_QUERY_TIMEOUT', '-1'],
    ['TRINO_QUERY_TIMEOUT', '1e3'],
    ['TRINO_SSL', 'maybe'],
    ['TRINO_SSL_INSECURE', 'sure'],
    ['TRINO_ALLOW_WRITE_QUERIES', 'on'],
    ['TRINO_ALLOW_PASSTHROUGH_FUNCTIONS', 'maybe'],
    ['TRINO_ALLOWED_CATALOGS', 'tpch.sf1'],
    ['TRINO_ALLOWED_SCHEMAS', 'tpch'],
    ['TRINO_ALLOWED_SCHEMAS', 'tpch.sf1, memory'],
    ['TRINO_ALLOWED_TABLES', 'tpch.sf1'],
    ['TRINO_ALLOWED_TABLES', 'tpch..nation'],
    ['OAUTH_WRITE_SCOPE', 'trino write'],
    ['OAUTH_WRITE_SCOPE', 'trino:"write"'],
    ['TRINO_SCHEME', 'ftp'],
    ['MCP_TRANSPORT', 'carrier-pigeon'],
    ['TRINO_HOST', 'https://trino.example.com'],
    ['TRINO_HOST', 'trino example'],
    ['TRINO_USER', '   '],
    ['TRINO_USER', 'jörgen'],
    ['TRINO_USER', 'svc\u0007'],
    ['TRINO_USER', 'x'.repeat(256)],
  ])('%s=%j gives exactly one error line naming the variable', (name, value) => {
    const lines = errors({ [name]: value });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(name);
    expect(lines[0]).not.toContain('\n');
  });

  it('refuses a TRINO_USER with a colon when TRINO_PASSWORD is set (HTTP Basic would split it)', () => {
    expect(errors({ TRINO_USER: 'svc:ops', TRINO_PASSWORD: 'pw' })).toEqual([expect.stringContaining('TRINO_USER')]);
    expect(ok({ TRINO_USER: 'svc:ops' }).trino.user).toBe('svc:ops');
  });

  it('reports two bad variables on two lines', () => {
    const lines = errors({ TRINO_PORT: 'abc', TRINO_SSL: 'maybe' });
    expect(lines).toHaveLength(2);
    expect(lines.some((l) => l.includes('TRINO_PORT'))).toBe(true);
    expect(lines.some((l) => l.includes('TRINO_SSL'))).toBe(true);
  });

  it('reports every bad variable at once', () => {
    const lines = errors({ TRINO_PORT: 'x', TRINO_MAX_ROWS: '0', TRINO_QUERY_TIMEOUT: '-1', TRINO_SCHEME: 'ftp', MCP_TRANSPORT: 'sse' });
    expect(lines).toHaveLength(5);
  });

  it('never echoes the password in an error', () => {
    const lines = errors({ TRINO_PASSWORD: 's3cr3t-pw', TRINO_PORT: 'abc' });
    expect(lines.join('\n')).not.toContain('s3cr3t-pw');
  });
});

describe('loadConfig allowlist and pass-through variables', () => {
  it('reads the three allowlists, separated by commas and/or blanks', () => {
    const config = ok({
      TRINO_ALLOWED_CATALOGS: 'tpch, memory',
      TRINO_ALLOWED_SCHEMAS: 'tpch.sf1 tpch.tiny,memory.*',
      TRINO_ALLOWED_TABLES: ' memory.default.t?  ,, hive.sales.orders_* ',
    });
    expect(config.allowlist).toEqual({
      catalogs: ['tpch', 'memory'],
      schemas: ['tpch.sf1', 'tpch.tiny', 'memory.*'],
      tables: ['memory.default.t?', 'hive.sales.orders_*'],
    });
  });

  it.each([
    ['true', true],
    ['yes', true],
    ['0', false],
  ])('reads TRINO_ALLOW_PASSTHROUGH_FUNCTIONS=%j as %s', (value, expected) => {
    expect(ok({ TRINO_ALLOW_PASSTHROUGH_FUNCTIONS: value }).allowPassthrough).toBe(expected);
  });

  it('reports one line per malformed allowlist entry, each naming its variable and entry', () => {
    const lines = errors({
      TRINO_ALLOWED_CATALOGS: 'good, a.b',
      TRINO_ALLOWED_SCHEMAS: 'tpch.sf1, tpch',
      TRINO_ALLOWED_TABLES: 'x.y, x.y.z, .y.z',
    });
    expect(lines).toHaveLength(4);
    expect(lines.filter((l) => l.includes('TRINO_ALLOWED_CATALOGS'))).toEqual([expect.stringContaining('"a.b"')]);
    expect(lines.filter((l) => l.includes('TRINO_ALLOWED_SCHEMAS'))).toEqual([expect.stringContaining('"tpch"')]);
    const tables = lines.filter((l) => l.includes('TRINO_ALLOWED_TABLES'));
    expect(tables).toHaveLength(2);
    expect(tables[0]).toContain('"x.y"');
    expect(tables[1]).toContain('".y.z"');
    for (const line of lines) expect(line).not.toContain('\n');
  });
});

describe('loadConfig OAUTH_WRITE_SCOPE', () => {
  const oauth = { OAUTH_ENABLED: 'true', JWT_SECRET: 'k'.repeat(32) };

  it('is unset by default', () => {
    expect(ok(oauth).oauth?.writeScope).toBeUndefined();
  });

  it('reads one scope, trimmed', () => {
    expect(ok({ ...oauth, OAUTH_WRITE_SCOPE: ' trino:write ' }).oauth?.writeScope).toBe('trino:write');
    expect(ok({ ...oauth, OAUTH_WRITE_SCOPE: 'https://example.com/scopes/write' }).oauth?.writeScope).toBe('https://example.com/scopes/write');
  });

  it.each(['trino:read trino:write', 'a\tb', 'say"what', 'back\\slash'])('rejects %j with one line naming the variable', (value) => {
    const lines = errors({ ...oauth, OAUTH_WRITE_SCOPE: value });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('OAUTH_WRITE_SCOPE');
    expect(lines[0]).not.toContain('\n');
  });
});

describe('the start-up log of the configuration (PinoLogger is the one place that redacts)', () => {
  it('hides the password, keeps every other setting in clear, allowPassthrough included', () => {
    const config = ok({ TRINO_PASSWORD: 's3cr3t-pw', TRINO_USER: 'svc', TRINO_ALLOW_PASSTHROUGH_FUNCTIONS: 'true' });
    const line = startupLogLine(config);
    expect(JSON.stringify(line)).not.toContain('s3cr3t-pw');
    expect(line.config.trino.password).toBe('[redacted]');
    expect(line.config.trino.user).toBe('svc');
    expect(line.config.allowPassthrough).toBe(true);
    expect(line.config.maxRows).toBe(config.maxRows);
    // The configuration itself is untouched.
    expect(config.trino.password).toBe('s3cr3t-pw');
  });

  it('leaves an absent password absent', () => {
    expect(startupLogLine(ok({})).config.trino.password).toBeUndefined();
  });
});

describe("loadConfig host validation", () => {
  // Regression: src/app/config.ts, TRINO_HOST / server.
  it('rejects TRINO_HOST with a port', () => {
    const lines = errors({ TRINO_HOST: 'trino:8443' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('TRINO_HOST');
  });
});
