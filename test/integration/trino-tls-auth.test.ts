/**
 * TLS and the static credentials against the real, credential-checking test Trino
 * (HTTPS with a certificate from the test CA; PASSWORD, JWT and CERTIFICATE
 * authentication): the user Trino sees is asked of Trino itself (`SELECT current_user`),
 * and every wrong credential is refused with a message naming what Trino refused.
 */
import { mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CERT_USER } from '../harness/test-pki.ts';
import { PASSWORD_USER } from '../harness/trino-auth-etc.ts';
import { connectStdio, GENERATIONS } from '../support/mcp-clients.ts';
import { runProcess, SERVER_BIN } from '../support/processes.ts';
import { httpsEnv, pki, realmSignedToken } from '../support/trino-auth.ts';

const dir = mkdtempSync(join(tmpdir(), 'trino-auth-'));

/** `SELECT current_user` through a stdio server with `env`: the user, or the tool error. */
async function currentUser(env: Record<string, string>, generation = GENERATIONS[0]!): Promise<{ user?: string; code?: string; message?: string; retryable?: boolean }> {
  const mcp = await connectStdio(generation, env);
  try {
    const r = await mcp.callTool('execute_query', { sql: 'SELECT current_user' });
    if (r.isError) {
      const s = r.structuredContent ?? {};
      return { code: String(s['code']), message: String(s['message']), retryable: s['retryable'] as boolean };
    }
    return { user: String((r.structuredContent?.['rows'] as unknown[][])[0]![0]) };
  } finally {
    await mcp.close();
  }
}

async function refusedAtStart(env: Record<string, string>): Promise<{ code: number | null; lines: string[] }> {
  const r = await runProcess(process.execPath, [SERVER_BIN], { env, timeoutMs: 20_000 });
  return { code: r.code, lines: r.stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('{')) };
}

const basic = (password = PASSWORD_USER.password) => ({ TRINO_AUTH: 'basic', TRINO_USER: PASSWORD_USER.user, TRINO_PASSWORD: password });

describe('TLS to Trino', () => {
  it('verifies the certificate: without the test CA nothing reaches Trino', async () => {
    const env = httpsEnv(basic());
    delete env['TRINO_SSL_CA_FILE'];
    const r = await currentUser(env);
    expect(r).toMatchObject({ code: 'ENGINE_UNAVAILABLE', retryable: false });
    expect(r.message).toContain('TRINO_SSL_CA_FILE');
  });

  it.each(GENERATIONS)('trusts TRINO_SSL_CA_FILE on top of the public roots (%s)', async (generation) => {
    expect(await currentUser(httpsEnv(basic()), generation)).toEqual({ user: PASSWORD_USER.user });
  });

  it('takes the CA as PEM text in TRINO_SSL_CA', async () => {
    const env = httpsEnv({ ...basic(), TRINO_SSL_CA: readFileSync(pki().caFile, 'utf8') });
    delete env['TRINO_SSL_CA_FILE'];
    expect(await currentUser(env)).toEqual({ user: PASSWORD_USER.user });
  });

  it('checks the host name: 127.0.0.1 is not in the certificate, unless TRINO_SSL_SERVERNAME names one that is', async () => {
    expect((await currentUser(httpsEnv({ ...basic(), TRINO_HOST: '127.0.0.1' }))).code).toBe('ENGINE_UNAVAILABLE');
    expect(await currentUser(httpsEnv({ ...basic(), TRINO_HOST: '127.0.0.1', TRINO_SSL_SERVERNAME: 'localhost' }))).toEqual({ user: PASSWORD_USER.user });
  });

  it('refuses at start a CA file without a certificate, naming the variable', async () => {
    const bogus = join(dir, 'not-a-ca.pem');
    writeFileSync(bogus, 'hello\n');
    const r = await refusedAtStart(httpsEnv({ ...basic(), TRINO_SSL_CA_FILE: bogus }));
    expect(r.code).toBe(2);
    expect(r.lines).toEqual([expect.stringContaining('TRINO_SSL_CA_FILE')]);
  });
});

describe('TRINO_AUTH=basic', () => {
  it('a wrong password is refused by Trino, and the message names TRINO_PASSWORD (never the password)', async () => {
    const r = await currentUser(httpsEnv(basic('not-the-password')));
    expect(r.code).toBe('ENGINE_UNAVAILABLE');
    expect(r.retryable).toBe(false);
    expect(r.message).toContain('TRINO_PASSWORD');
    expect(r.message).not.toContain('not-the-password');
  });

  it('is refused at start over plain HTTP unless TRINO_ALLOW_INSECURE_AUTH=true', async () => {
    const env = httpsEnv({ ...basic(), TRINO_SCHEME: 'http', TRINO_SSL_CA_FILE: '' });
    const r = await refusedAtStart(env);
    expect(r.code).toBe(2);
    expect(r.lines).toEqual([expect.stringContaining('TRINO_ALLOW_INSECURE_AUTH')]);
    expect(r.lines.join('\n')).not.toContain(PASSWORD_USER.password);
  });
});

describe('client certificates (Trino CERTIFICATE authentication)', () => {
  const cert = () => ({ TRINO_SSL_CERT_FILE: pki().clientCertFile, TRINO_SSL_KEY_FILE: pki().clientKeyFile });

  it('Trino sees the certificate\'s user', async () => {
    expect(await currentUser(httpsEnv(cert()))).toEqual({ user: CERT_USER });
  });

  it('an encrypted key opens with TRINO_SSL_KEY_PASSPHRASE', async () => {
    const env = httpsEnv({ TRINO_SSL_CERT_FILE: pki().clientCertFile, TRINO_SSL_KEY_FILE: pki().encryptedClientKeyFile, TRINO_SSL_KEY_PASSPHRASE: pki().clientKeyPassphrase });
    expect(await currentUser(env)).toEqual({ user: CERT_USER });
  });

  it('a wrong passphrase stops the start with one line naming TRINO_SSL_KEY_PASSPHRASE', async () => {
    const r = await refusedAtStart(httpsEnv({ TRINO_SSL_CERT_FILE: pki().clientCertFile, TRINO_SSL_KEY_FILE: pki().encryptedClientKeyFile, TRINO_SSL_KEY_PASSPHRASE: 'wrong' }));
    expect(r.code).toBe(2);
    expect(r.lines).toEqual([expect.stringContaining('TRINO_SSL_KEY_PASSPHRASE')]);
  });

  it('a certificate from a CA Trino does not trust is refused, and the message names the certificate', async () => {
    const r = await currentUser(httpsEnv({ TRINO_SSL_CERT_FILE: pki().strangerCertFile, TRINO_SSL_KEY_FILE: pki().strangerKeyFile }));
    expect(r.code).toBe('ENGINE_UNAVAILABLE');
    expect(r.message).toContain('TRINO_SSL_CERT_FILE');
  });
});

describe('TRINO_AUTH=jwt', () => {
  it('Trino sees the token\'s user (TRINO_ACCESS_TOKEN)', async () => {
    expect(await currentUser(httpsEnv({ TRINO_AUTH: 'jwt', TRINO_ACCESS_TOKEN: await realmSignedToken('jwt_user') }))).toEqual({ user: 'jwt_user' });
  });

  it.each([
    ['signed with another key', async () => realmSignedToken('jwt_user', {}, pki().clientKeyFile)],
    ['for another audience', async () => realmSignedToken('jwt_user', { aud: 'not-trino' })],
    ['expired', async () => realmSignedToken('jwt_user', { exp: Math.floor(Date.now() / 1000) - 600 })],
  ])('a token %s is refused by Trino, and the message names TRINO_ACCESS_TOKEN', async (_what, make) => {
    const token = await make();
    const r = await currentUser(httpsEnv({ TRINO_AUTH: 'jwt', TRINO_ACCESS_TOKEN: token }));
    expect(r.code).toBe('ENGINE_UNAVAILABLE');
    expect(r.message).toContain('TRINO_ACCESS_TOKEN');
    expect(r.message).not.toContain(token);
  });

  it('re-reads TRINO_ACCESS_TOKEN_FILE when a sidecar replaces it: the next query runs as the new token\'s user', async () => {
    const file = join(dir, 'token');
    writeFileSync(file, `${await realmSignedToken('jwt_first')}\n`);
    const mcp = await connectStdio(GENERATIONS[0]!, httpsEnv({ TRINO_AUTH: 'jwt', TRINO_ACCESS_TOKEN_FILE: file }));
    try {
      const who = async () => (await mcp.callTool('execute_query', { sql: 'SELECT current_user' })).structuredContent?.['rows'];
      expect(await who()).toEqual([['jwt_first']]);
      // As a sidecar rotates it: a new file renamed over the old one.
      writeFileSync(`${file}.new`, await realmSignedToken('jwt_second'));
      renameSync(`${file}.new`, file);
      expect(await who()).toEqual([['jwt_second']]);
    } finally {
      await mcp.close();
    }
  });

  it('the start-up log names the mode and never the token', async () => {
    const token = await realmSignedToken('jwt_user');
    // stdin closes at once: the server logs its configuration, then ends with its client.
    const r = await runProcess(process.execPath, [SERVER_BIN], { env: httpsEnv({ TRINO_AUTH: 'jwt', TRINO_ACCESS_TOKEN: token }), timeoutMs: 20_000 });
    const start = r.stderr.split('\n').find((l) => l.includes('starting trino-mcp'));
    expect(start).toBeDefined();
    expect(JSON.parse(start!)).toMatchObject({ config: { trino: { auth: { mode: 'jwt' } } } });
    expect(r.stderr).not.toContain(token);
  });
});
