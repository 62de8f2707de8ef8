/**
 * The certificates and keys of the test Trino and the test Keycloak, made with the openssl
 * CLI (present wherever a JDK is; no npm package needed): a CA, Trino's server certificate
 * from it, client certificates (one from the CA, one from a CA Trino does not trust) and the
 * RSA key Keycloak signs its tokens with, whose public half Trino reads as its JWT key.
 * Erasable TypeScript only (runs under Node's type stripping too).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestPki {
  readonly dir: string;
  /** The CA that signed Trino's certificate and the trusted client certificate. */
  readonly caFile: string;
  /** Trino's key and certificate chain in one PEM (Trino's PEM keystore). */
  readonly serverPemFile: string;
  /** CN=cert_user, from the CA. */
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  /** The same key, encrypted with `clientKeyPassphrase`. */
  readonly encryptedClientKeyFile: string;
  readonly clientKeyPassphrase: string;
  /** CN=cert_user again, but from a CA Trino does not trust. */
  readonly strangerCertFile: string;
  readonly strangerKeyFile: string;
  /** PKCS#8 private key and certificate Keycloak signs with; the public key Trino verifies with. */
  readonly jwtKeyFile: string;
  readonly jwtCertFile: string;
  readonly jwtPublicKeyFile: string;
}

/** The user name Trino maps the trusted client certificate to. */
export const CERT_USER = 'cert_user';

function openssl(args: string[], cwd: string): void {
  const res = spawnSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  if (res.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${res.stderr?.toString().trim()}`);
}

function issue(dir: string, name: string, subject: string, ca: string, ext: string): void {
  openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', `${name}.key`], dir);
  openssl(['req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`], dir);
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '30', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.pem`], dir);
}

function selfSignedCa(dir: string, name: string, subject: string): void {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-subj', subject, '-days', '30', '-sha256', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', `${name}.pem`], dir);
}

/** Makes (once per directory) every certificate and key the tests need. */
export function ensurePki(dir: string): TestPki {
  const pki: TestPki = {
    dir,
    caFile: join(dir, 'ca.pem'),
    serverPemFile: join(dir, 'server-keystore.pem'),
    clientCertFile: join(dir, 'client.pem'),
    clientKeyFile: join(dir, 'client.key'),
    encryptedClientKeyFile: join(dir, 'client-encrypted.key'),
    clientKeyPassphrase: 'client-key-passphrase',
    strangerCertFile: join(dir, 'stranger.pem'),
    strangerKeyFile: join(dir, 'stranger.key'),
    jwtKeyFile: join(dir, 'jwt.key'),
    jwtCertFile: join(dir, 'jwt.pem'),
    jwtPublicKeyFile: join(dir, 'jwt.pub.pem'),
  };
  if (existsSync(join(dir, '.complete'))) return pki;
  mkdirSync(dir, { recursive: true });
  selfSignedCa(dir, 'ca', '/CN=trino-mcp test CA');
  issue(dir, 'server', '/CN=localhost', 'ca', 'subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n');
  writeFileSync(pki.serverPemFile, readFileSync(join(dir, 'server.key'), 'utf8') + readFileSync(join(dir, 'server.pem'), 'utf8') + readFileSync(pki.caFile, 'utf8'));
  issue(dir, 'client', `/CN=${CERT_USER}`, 'ca', 'extendedKeyUsage=clientAuth\n');
  openssl(['pkcs8', '-topk8', '-in', 'client.key', '-passout', `pass:${pki.clientKeyPassphrase}`, '-out', 'client-encrypted.key'], dir);
  selfSignedCa(dir, 'stranger-ca', '/CN=a CA nobody trusts');
  issue(dir, 'stranger', `/CN=${CERT_USER}`, 'stranger-ca', 'extendedKeyUsage=clientAuth\n');
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'jwt.key', '-subj', '/CN=trino-mcp test realm', '-days', '30', '-out', 'jwt.pem'], dir);
  openssl(['pkey', '-in', 'jwt.key', '-pubout', '-out', 'jwt.pub.pem'], dir);
  writeFileSync(join(dir, '.complete'), `${new Date().toISOString()}\n`);
  return pki;
}
