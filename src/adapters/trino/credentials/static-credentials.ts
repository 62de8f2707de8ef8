import { readFileSync, statSync } from 'node:fs';
import type { TrinoCredentials } from './trino-credentials.ts';

/** TRINO_AUTH=none: Trino trusts X-Trino-User (or the client certificate names the user). */
export function noCredentials(clientCertificate: boolean): TrinoCredentials {
  return {
    mode: 'none',
    namesUser: clientCertificate,
    authorization: async () => undefined,
    rejected: () => undefined,
    refusedCredential: () => (clientCertificate ? 'the client certificate (TRINO_SSL_CERT_FILE)' : 'the anonymous request (TRINO_USER without a credential)'),
  };
}

/** TRINO_AUTH=basic: TRINO_USER and TRINO_PASSWORD on every request. */
export function basicCredentials(user: string, password: string): TrinoCredentials {
  // In its own header: trino-client's BasicAuth overwrites X-Trino-User with the login user,
  // which would silently turn impersonation off.
  const header = `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
  return {
    mode: 'basic',
    namesUser: false,
    authorization: async () => header,
    rejected: () => undefined,
    refusedCredential: () => `the password of TRINO_USER ${JSON.stringify(user)} (TRINO_PASSWORD)`,
  };
}

/** A token that cannot be sent in a header is a configuration error, reported before it reaches Trino. */
export function tokenProblem(token: string): string | undefined {
  if (token === '') return 'is empty';
  if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(token)) return 'is not a bearer token (RFC 6750: letters, digits and -._~+/ only)';
  return undefined;
}

/** Reads a token file; throws an Error naming `variable` and the problem (never the content). */
export function readTokenFile(path: string, variable: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`${variable}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const token = text.trim();
  const problem = tokenProblem(token);
  if (problem) throw new Error(`${variable}: the content of ${path} ${problem}`);
  return token;
}

/**
 * TRINO_AUTH=jwt with TRINO_ACCESS_TOKEN_FILE: the file is read again whenever it changed
 * (size, mtime or inode: a sidecar may rewrite it or rename a new one over it), so the
 * token rotates without a restart. A file that turns unreadable or empty keeps the last good
 * token: Trino, not a half-written file, decides when it is no longer valid.
 */
export function fileTokenCredentials(path: string, warn: (message: string, fields: Record<string, unknown>) => void): TrinoCredentials {
  const variable = 'TRINO_ACCESS_TOKEN_FILE';
  const stamp = (): string => {
    const s = statSync(path, { bigint: true });
    return `${s.ino}:${s.size}:${s.mtimeNs}`;
  };
  let seen = stamp();
  let token = readTokenFile(path, variable);
  const current = (): string => {
    try {
      const now = stamp();
      if (now !== seen) {
        token = readTokenFile(path, variable);
        seen = now;
      }
    } catch (err) {
      warn('keeping the last access token: the token file cannot be used', { variable, error: (err as Error).message });
    }
    return token;
  };
  return {
    mode: 'jwt',
    namesUser: true,
    authorization: async () => `Bearer ${current()}`,
    rejected: () => {
      // The next call stats the file again anyway; forcing a re-read covers a rewrite within
      // the file system's timestamp granularity.
      seen = '';
    },
    refusedCredential: () => `the access token in ${variable}`,
  };
}

/** TRINO_AUTH=jwt with TRINO_ACCESS_TOKEN. */
export function staticTokenCredentials(token: string): TrinoCredentials {
  const header = `Bearer ${token}`;
  return {
    mode: 'jwt',
    namesUser: true,
    authorization: async () => header,
    rejected: () => undefined,
    refusedCredential: () => 'the access token in TRINO_ACCESS_TOKEN',
  };
}
