/** TLS material towards Trino, read at start: a CA adds to the public roots, a bad file names its variable. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { loadTrinoTls } from '../../src/adapters/trino/tls-options.ts';

const dir = mkdtempSync(join(tmpdir(), 'tls-'));
function selfSigned(name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-subj', `/CN=${name}`, '-days', '1', '-out', cert], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error('openssl failed');
  return { cert, key };
}

// Made once: key generation is the slow part on a busy machine.
const a = selfSigned('a');
const b = selfSigned('b');

describe('loadTrinoTls', () => {
  it('adds TRINO_SSL_CA_FILE to the public roots instead of replacing them', () => {
    const tls = loadTrinoTls({ caFile: a.cert, verify: true });
    expect(tls.ca).toHaveLength(rootCertificates.length + 1);
    expect(tls.ca!.slice(0, rootCertificates.length)).toEqual([...rootCertificates]);
    expect(tls.rejectUnauthorized).toBe(true);
  });

  it('leaves Node\'s defaults alone when no CA is given, and keeps TRINO_SSL_INSECURE as the only way out of verification', () => {
    expect(loadTrinoTls({ verify: true })).toEqual({ rejectUnauthorized: true });
    expect(loadTrinoTls({ verify: false })).toEqual({ rejectUnauthorized: false });
  });

  it.each([
    ['TRINO_SSL_CA_FILE', () => ({ caFile: join(dir, 'missing.pem') })],
    ['TRINO_SSL_CA', () => ({ caPem: 'not a certificate' })],
    ['TRINO_SSL_CERT_FILE', () => ({ certFile: a.key, keyFile: a.key })],
    ['TRINO_SSL_KEY_FILE', () => ({ certFile: a.cert, keyFile: a.cert })],
    ['TRINO_SSL_KEY_FILE', () => ({ certFile: a.cert, keyFile: b.key })],
  ])('refuses an unusable file, naming %s', (variable, settings) => {
    expect(() => loadTrinoTls({ ...settings(), verify: true })).toThrow(new RegExp(`^${variable}:`));
  });

  it('keeps the server name for SNI and the certificate check', () => {
    expect(loadTrinoTls({ servername: 'trino.internal', verify: true }).servername).toBe('trino.internal');
  });
});
