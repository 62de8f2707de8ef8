import { readFileSync } from 'node:fs';
import { createSecureContext, rootCertificates } from 'node:tls';

/** TLS towards Trino as node:tls options (what the engine hands its HTTPS agent). */
export interface TrinoTls {
  readonly ca?: string[] | undefined;
  readonly cert?: Buffer | undefined;
  readonly key?: Buffer | undefined;
  readonly passphrase?: string | undefined;
  readonly servername?: string | undefined;
  readonly rejectUnauthorized: boolean;
}

/** The TRINO_SSL_* settings as configured: paths and values, nothing read yet. */
export interface TrinoTlsSettings {
  /** TRINO_SSL_CA: PEM text. */
  readonly caPem?: string | undefined;
  readonly caFile?: string | undefined;
  readonly certFile?: string | undefined;
  readonly keyFile?: string | undefined;
  readonly keyPassphrase?: string | undefined;
  readonly servername?: string | undefined;
  readonly verify: boolean;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function read(path: string, variable: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`${variable}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function certificates(pem: string, variable: string): string[] {
  const found = pem.match(PEM_CERT) ?? [];
  if (found.length === 0) throw new Error(`${variable}: holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  return found;
}

/**
 * Reads the TLS material once, at start; throws an Error whose message starts with the
 * variable at fault. A CA is added to Node's trusted roots rather than replacing them
 * (node:tls `ca` replaces them), so an internal CA and a public one both work.
 */
export function loadTrinoTls(s: TrinoTlsSettings): TrinoTls {
  const extra: string[] = [];
  if (s.caPem) extra.push(...certificates(s.caPem, 'TRINO_SSL_CA'));
  if (s.caFile) extra.push(...certificates(read(s.caFile, 'TRINO_SSL_CA_FILE').toString('utf8'), 'TRINO_SSL_CA_FILE'));
  const cert = s.certFile ? read(s.certFile, 'TRINO_SSL_CERT_FILE') : undefined;
  const key = s.keyFile ? read(s.keyFile, 'TRINO_SSL_KEY_FILE') : undefined;
  if (cert && !cert.toString('utf8').includes('-----BEGIN CERTIFICATE-----')) throw new Error('TRINO_SSL_CERT_FILE: holds no PEM certificate');
  if (key && !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key.toString('utf8'))) throw new Error('TRINO_SSL_KEY_FILE: holds no PEM private key');
  if (cert && key) {
    // A wrong passphrase or a key that does not match the certificate fails here, at start,
    // instead of as a TLS error on the first query.
    try {
      createSecureContext({ cert, key, ...(s.keyPassphrase !== undefined ? { passphrase: s.keyPassphrase } : {}) });
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code ?? 'unusable';
      const variable = /decrypt|bad.?pass|ERR_OSSL_BAD_DECRYPT|interrupted|PEM_R_BAD/i.test(`${reason} ${(err as Error).message}`) ? 'TRINO_SSL_KEY_PASSPHRASE' : 'TRINO_SSL_KEY_FILE';
      throw new Error(`${variable}: the client key cannot be used with TRINO_SSL_CERT_FILE (${reason})`);
    }
  }
  return {
    ...(extra.length > 0 ? { ca: [...rootCertificates, ...extra] } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
    ...(s.keyPassphrase !== undefined ? { passphrase: s.keyPassphrase } : {}),
    ...(s.servername ? { servername: s.servername } : {}),
    rejectUnauthorized: s.verify,
  };
}
