/**
 * The authentication part of the test Trino's configuration: HTTPS with a certificate from
 * the test CA, PASSWORD (file), JWT (the test realm's key) and CERTIFICATE (the test CA)
 * authentication, the plain-HTTP port kept open without authentication for the rest of the
 * suite, and file-based access control with a rule per test user. Erasable TypeScript only.
 */
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestPki } from './test-pki.ts';

/**
 * Bumped whenever the test Trino's configuration changes: a persistent instance started
 * with another version is restarted instead of reused (test/harness/trino-server.ts).
 */
export const TRINO_CONFIG_VERSION = 2;

/** The user of the password file, and its password. */
export const PASSWORD_USER = { user: 'pw_user', password: 'pw-user-password' };
/** The JWT audience Trino requires (the realm's `trino` client). */
export const TRINO_AUDIENCE = 'trino';
/** A Keycloak user whom the access rules keep out of the memory catalog. */
export const NO_MEMORY_USER = 'kc_bob';

export interface AuthEtc {
  readonly httpsPort: number;
  readonly pki: TestPki;
  /** The test realm's issuer, which Trino requires of every JWT. */
  readonly issuer: string;
}

/** Trino's PBKDF2 password-file format: iterations:salt:hash, both in lower-case hex, PBKDF2WithHmacSHA1. */
function passwordLine(user: string, password: string): string {
  const salt = randomBytes(16);
  const iterations = 1000;
  const hash = pbkdf2Sync(password, salt, iterations, 32, 'sha1');
  return `${user}:${iterations}:${salt.toString('hex')}:${hash.toString('hex')}`;
}

/** Writes the files it needs into `etc`; returns the lines for config.properties. */
export function writeAuthEtc(etc: string, a: AuthEtc): string[] {
  writeFileSync(join(etc, 'password.db'), `${passwordLine(PASSWORD_USER.user, PASSWORD_USER.password)}\n`);
  writeFileSync(join(etc, 'password-authenticator.properties'), ['password-authenticator.name=file', `file.password-file=${join(etc, 'password.db')}`, ''].join('\n'));
  const rules = {
    // One rule per test user where it matters: Trino, not this server, keeps kc_bob out of memory.
    catalogs: [{ user: NO_MEMORY_USER, catalog: 'memory', allow: 'none' }, { allow: 'all' }],
    queries: [{ allow: ['execute', 'kill', 'view'] }],
    // The rest of the suite runs as any X-Trino-User over plain HTTP, impersonation included.
    impersonation: [{ original_user: '.*', new_user: '.*', allow: true }],
    system_information: [{ allow: ['read', 'write'] }],
    system_session_properties: [{ allow: true }],
    catalog_session_properties: [{ allow: true }],
  };
  writeFileSync(join(etc, 'rules.json'), JSON.stringify(rules, null, 2));
  writeFileSync(join(etc, 'access-control.properties'), ['access-control.name=file', `security.config-file=${join(etc, 'rules.json')}`, ''].join('\n'));
  return [
    'http-server.https.enabled=true',
    `http-server.https.port=${a.httpsPort}`,
    `http-server.https.keystore.path=${a.pki.serverPemFile}`,
    `http-server.https.truststore.path=${a.pki.caFile}`,
    'http-server.authentication.type=PASSWORD,JWT,CERTIFICATE',
    'http-server.authentication.allow-insecure-over-http=true',
    `http-server.authentication.jwt.key-file=${a.pki.jwtPublicKeyFile}`,
    `http-server.authentication.jwt.required-issuer=${a.issuer}`,
    `http-server.authentication.jwt.required-audience=${TRINO_AUDIENCE}`,
    'http-server.authentication.jwt.principal-field=preferred_username',
    'http-server.authentication.certificate.user-mapping.pattern=CN=([^,]+).*',
    // Required once any authentication is on; the nodes of this one-node cluster share it.
    `internal-communication.shared-secret=${randomBytes(32).toString('base64')}`,
  ];
}
