/**
 * A real Keycloak for the token-exchange and client-credentials tests:
 * org.keycloak:keycloak-quarkus-dist from Maven Central (fetched and verified like Trino's
 * artifacts, cached outside the repo), run with `start-dev` and an in-memory database, the
 * realm of keycloak-realm.json imported through the admin API together with the signing
 * key the test generated (Trino verifies tokens with its public half: Trino 476 reads a
 * JWKS URL once, at start, and would refuse to start while Keycloak is still booting, so a
 * key file lets both start at the same time). Erasable TypeScript only.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir, ensureArtifact, findJdk, killGroup, type Log } from './trino-server.ts';
import type { TestPki } from './test-pki.ts';

export const KEYCLOAK_VERSION = '26.7.3';
export const REALM = 'trino-mcp';
const READY_TIMEOUT_MS = 600_000;
const ADMIN = { username: 'admin', password: 'keycloak-admin-for-tests' };
const REALM_FILE = fileURLToPath(new URL('./keycloak-realm.json', import.meta.url));

export interface LocalKeycloak {
  readonly url: string;
  readonly pid: number;
}

/** The issuer of the test realm at a Keycloak on `port` (Trino's required issuer). */
export function realmIssuer(port: number): string {
  return `http://127.0.0.1:${port}/realms/${REALM}`;
}

async function ensureInstalled(log: Log): Promise<string> {
  const target = join(cacheDir(), `keycloak-${KEYCLOAK_VERSION}`);
  if (existsSync(join(target, '.complete'))) return target;
  const archive = await ensureArtifact({ groupId: 'org.keycloak', artifactId: 'keycloak-quarkus-dist', version: KEYCLOAK_VERSION, ext: 'tar.gz', sizeMb: 175 }, log);
  const tmp = `${target}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  log('unpacking Keycloak');
  const res = spawnSync('tar', ['xzf', archive, '-C', tmp, '--strip-components=1'], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (res.status !== 0) throw new Error(`tar could not unpack ${archive}: ${res.stderr?.toString().trim()}`);
  writeFileSync(join(tmp, '.complete'), `${new Date().toISOString()}\n`);
  rmSync(target, { recursive: true, force: true });
  renameSync(tmp, target);
  return target;
}

const pemBody = (pem: string) => pem.split('\n').filter((l) => l && !l.startsWith('-----')).join('');

/** The realm of keycloak-realm.json with the test's signing key added. */
export function realmRepresentation(pki: TestPki): Record<string, unknown> {
  const realm = JSON.parse(readFileSync(REALM_FILE, 'utf8')) as Record<string, unknown>;
  realm['components'] = {
    'org.keycloak.keys.KeyProvider': [
      {
        name: 'test-rsa',
        providerId: 'rsa',
        config: {
          privateKey: [pemBody(readFileSync(pki.jwtKeyFile, 'utf8'))],
          certificate: [pemBody(readFileSync(pki.jwtCertFile, 'utf8'))],
          priority: ['1000'],
          active: ['true'],
          enabled: ['true'],
          algorithm: ['RS256'],
        },
      },
    ],
  };
  return realm;
}

/** A token of Keycloak's admin (master realm), for the admin REST API. */
export async function adminToken(url: string): Promise<string> {
  const res = await fetch(`${url}/realms/master/protocol/openid-connect/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'password', client_id: 'admin-cli', ...ADMIN }),
    // The first requests after start are slow on a busy machine (classes still loading).
    signal: AbortSignal.timeout(120_000),
  });
  if (!res.ok) throw new Error(`Keycloak admin login answered HTTP ${res.status}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

async function importRealm(url: string, pki: TestPki): Promise<void> {
  const token = await adminToken(url);
  const res = await fetch(`${url}/admin/realms`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(realmRepresentation(pki)),
    signal: AbortSignal.timeout(180_000),
  });
  if (res.status !== 201 && res.status !== 409) throw new Error(`Keycloak realm import answered HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`);
}

async function waitReady(url: string, child: { exitCode: number | null }, logFile: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`Keycloak exited with status ${child.exitCode} while starting; see ${logFile}`);
    try {
      const res = await fetch(`${url}/realms/master/.well-known/openid-configuration`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`Keycloak at ${url} was not ready after ${READY_TIMEOUT_MS / 1000} s; see ${logFile}`);
}

/** Starts Keycloak on `port` in its own process group and imports the test realm. */
export async function startKeycloak(options: { port: number; runDir: string; pki: TestPki; persistent: boolean; log: Log }): Promise<LocalKeycloak> {
  const { port, runDir, log } = options;
  const home = await ensureInstalled(log);
  const jdk = findJdk();
  mkdirSync(runDir, { recursive: true });
  const logFile = join(runDir, 'keycloak.log');
  const fd = openSync(logFile, 'a');
  log(`starting Keycloak ${KEYCLOAK_VERSION} on port ${port} (log: ${logFile})`);
  const child = spawn(join(home, 'bin', 'kc.sh'), ['start-dev', `--http-port=${port}`, '--http-host=127.0.0.1', '--db=dev-mem'], {
    cwd: runDir,
    detached: true,
    stdio: ['ignore', fd, fd],
    env: {
      ...process.env,
      JAVA_HOME: jdk,
      KC_BOOTSTRAP_ADMIN_USERNAME: ADMIN.username,
      KC_BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
    },
  });
  closeSync(fd);
  if (options.persistent) child.unref();
  const url = `http://127.0.0.1:${port}`;
  const started = Date.now();
  try {
    await waitReady(url, child, logFile);
    await importRealm(url, options.pki);
  } catch (err) {
    killGroup(child.pid!, 'SIGKILL');
    throw err;
  }
  log(`Keycloak ready at ${url} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { url, pid: child.pid! };
}

