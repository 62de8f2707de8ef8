/**
 * A real Trino for tests, the demo and `npm run trino:up`. Picks, in order:
 *   1. TRINO_URL, when set (nothing is started or stopped);
 *   2. testcontainers (trinodb/trino:<version>), when a container runtime answers;
 *   3. a local Trino: the server tarball and the tpch + memory plugins from Maven Central
 *      (fetched with Maven so the machine's Maven settings apply; a plain HTTPS download
 *      from TRINO_MAVEN_REPOSITORY where mvn is absent), checksums verified, cached outside
 *      the repo, started with a JDK >= 24.
 * Runs under Node's type stripping (`node test/harness/trino-cli.ts`) as well as vitest,
 * so it uses erasable TypeScript only.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { homedir } from 'node:os';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { realmIssuer, startKeycloak, type LocalKeycloak } from './keycloak-server.ts';
import { ensurePki } from './test-pki.ts';
import { TRINO_CONFIG_VERSION, writeAuthEtc, type AuthEtc } from './trino-auth-etc.ts';

export const TRINO_VERSION = '476';
const MIN_JAVA = 24;
const READY_TIMEOUT_MS = 240_000;

export interface TrinoHandle {
  readonly url: string;
  readonly kind: 'url' | 'container' | 'local' | 'local-reused';
  /** The HTTPS port and the IdP of the authentication tests: a local Trino has them. */
  readonly auth?: TrinoAuthSetup | undefined;
  stop(): Promise<void>;
}

export type Log = (line: string) => void;
const defaultLog: Log = (line) => process.stderr.write(`[trino] ${line}\n`);

export function cacheDir(): string {
  const base = process.env['TRINO_MCP_CACHE'] ?? join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'trino-mcp');
  mkdirSync(base, { recursive: true });
  return base;
}

// ---------------------------------------------------------------------------------------
// Readiness

export async function trinoInfo(url: string): Promise<{ starting: boolean; version?: string } | undefined> {
  try {
    const res = await fetch(`${url}/v1/info`, { signal: AbortSignal.timeout(2_000) });
    if (!res.ok) return undefined;
    const body = (await res.json()) as { starting: boolean; nodeVersion?: { version?: string } };
    return { starting: body.starting, ...(body.nodeVersion?.version ? { version: body.nodeVersion.version } : {}) };
  } catch {
    return undefined;
  }
}

/** A statement Trino itself rejected (as opposed to Trino not answering). */
export class TrinoStatementError extends Error {
  readonly errorName: string;
  constructor(errorName: string, message: string) {
    super(`Trino: ${errorName}: ${message}`);
    this.name = 'TrinoStatementError';
    this.errorName = errorName;
  }
}

/**
 * Runs one statement over Trino's REST API (POST /v1/statement, then every nextUri) and
 * resolves with all its rows. Rejects with TrinoStatementError when Trino rejects the
 * statement, with the fetch error when Trino does not answer. `timeoutMs` bounds each request.
 * The one REST client of the tests and the harness (test/support/trino-sql.ts builds on it).
 */
export async function runStatement(url: string, sql: string, options: { user: string; timeoutMs?: number }): Promise<unknown[][]> {
  const headers = { 'X-Trino-User': options.user };
  const signal = () => (options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs));
  type Page = { nextUri?: string; data?: unknown[][]; error?: { errorName: string; message: string } };
  let page = (await (await fetch(`${url}/v1/statement`, { method: 'POST', body: sql, headers, signal: signal() })).json()) as Page;
  const rows: unknown[][] = [];
  for (;;) {
    if (page.error) throw new TrinoStatementError(page.error.errorName, page.error.message);
    if (page.data) rows.push(...page.data);
    if (!page.nextUri) return rows;
    page = (await (await fetch(page.nextUri, { headers, signal: signal() })).json()) as Page;
  }
}

/** Runs one statement; resolves with Trino's error name (or the fetch error), undefined on success. */
async function probeQuery(url: string, sql: string): Promise<string | undefined> {
  try {
    await runStatement(url, sql, { user: 'trino-mcp-harness', timeoutMs: 10_000 });
    return undefined;
  } catch (err) {
    return err instanceof TrinoStatementError ? err.errorName : (err as Error).message;
  }
}

/**
 * Ready means able to run a query: /v1/info says `"starting": false` a moment before the
 * coordinator has registered itself as a worker, and queries in that window fail with
 * NO_NODES_AVAILABLE.
 */
async function waitReady(url: string, child: ChildProcess | undefined, logFile: string | undefined): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError = 'no answer';
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) {
      throw new Error(`Trino exited with status ${child.exitCode} while starting.${logTail(logFile)}`);
    }
    const info = await trinoInfo(url);
    if (info && info.starting === false) {
      const error = await probeQuery(url, 'SELECT count(*) FROM tpch.tiny.region');
      if (error === undefined) return;
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`Trino at ${url} was not ready after ${READY_TIMEOUT_MS / 1000} s (last: ${lastError}).${logTail(logFile)}`);
}

function logTail(logFile: string | undefined): string {
  if (!logFile || !existsSync(logFile)) return '';
  const lines = readFileSync(logFile, 'utf8').trimEnd().split('\n');
  return `\nLast lines of ${logFile}:\n${lines.slice(-20).join('\n')}`;
}

// ---------------------------------------------------------------------------------------
// Downloads

export interface Artifact {
  /** io.trino unless given. */
  readonly groupId?: string;
  readonly artifactId: string;
  /** TRINO_VERSION unless given. */
  readonly version?: string;
  readonly ext: 'tar.gz' | 'zip';
  /** For the progress line of the first download. */
  readonly sizeMb?: number;
}
const ARTIFACTS: readonly Artifact[] = [
  { artifactId: 'trino-server-core', ext: 'tar.gz' },
  { artifactId: 'trino-tpch', ext: 'zip' },
  { artifactId: 'trino-memory', ext: 'zip' },
];

const versionOf = (a: Artifact) => a.version ?? TRINO_VERSION;
const groupOf = (a: Artifact) => a.groupId ?? 'io.trino';

function fileName(a: Artifact): string {
  return `${a.artifactId}-${versionOf(a)}.${a.ext}`;
}

function repoPath(a: Artifact): string {
  return `${groupOf(a).replaceAll('.', '/')}/${a.artifactId}/${versionOf(a)}/${fileName(a)}`;
}

async function sha1Of(file: string): Promise<string> {
  const hash = createHash('sha1');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

function parseChecksum(text: string): string {
  const hex = text.trim().split(/\s+/)[0]?.toLowerCase() ?? '';
  if (!/^[0-9a-f]{40}$/.test(hex)) throw new Error(`not a SHA-1 checksum: ${text.slice(0, 80)}`);
  return hex;
}

function which(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Maven's local repository, where the resolver keeps the .sha1 it downloaded next to the artifact. */
function mavenLocalRepo(): string {
  const settings = join(homedir(), '.m2', 'settings.xml');
  if (existsSync(settings)) {
    const m = /<localRepository>\s*([^<]+?)\s*<\/localRepository>/.exec(readFileSync(settings, 'utf8'));
    if (m?.[1]) return m[1].replace(/^~/, homedir());
  }
  return join(homedir(), '.m2', 'repository');
}

async function fetchWithMaven(a: Artifact, outDir: string, log: Log): Promise<string | undefined> {
  log(`fetching ${fileName(a)} with Maven (the first run downloads ~${a.sizeMb ?? (a.ext === 'tar.gz' ? 190 : 15)} MB)`);
  const res = spawnSync(
    'mvn',
    [
      '-B',
      '-C', // strict checksums: the resolver fails on a mismatch
      '-Dstyle.color=never',
      'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy',
      `-Dartifact=${groupOf(a)}:${a.artifactId}:${versionOf(a)}:${a.ext}`,
      `-DoutputDirectory=${outDir}`,
    ],
    { cwd: outDir, stdio: ['ignore', 2, 2] }, // progress on stderr: stdout of trino:up is only the URL
  );
  if (res.status !== 0) throw new Error(`mvn could not fetch ${groupOf(a)}:${a.artifactId}:${versionOf(a)}:${a.ext} (exit ${res.status})`);
  const sha1File = join(mavenLocalRepo(), `${repoPath(a)}.sha1`);
  return existsSync(sha1File) ? parseChecksum(readFileSync(sha1File, 'utf8')) : undefined;
}

async function fetchOverHttps(a: Artifact, outDir: string, log: Log): Promise<string> {
  const base = process.env['TRINO_MAVEN_REPOSITORY'];
  if (!base) {
    throw new Error(
      'Maven (mvn) is not installed. Install it, or set TRINO_MAVEN_REPOSITORY to a Maven repository base URL ' +
        '(Maven Central or a mirror) for a plain HTTPS download.',
    );
  }
  const url = `${base.replace(/\/$/, '')}/${repoPath(a)}`;
  const sumRes = await fetch(`${url}.sha1`);
  if (!sumRes.ok) throw new Error(`GET ${url}.sha1 answered HTTP ${sumRes.status}`);
  const expected = parseChecksum(await sumRes.text());
  const res = await fetch(url);
  if (!res.ok || !res.body) throw new Error(`GET ${url} answered HTTP ${res.status}`);
  const total = Number(res.headers.get('content-length') ?? 0);
  let seen = 0;
  let shown = 0;
  const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream);
  body.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    const pct = total ? Math.floor((seen / total) * 10) * 10 : 0;
    if (pct > shown) {
      shown = pct;
      log(`${fileName(a)}: ${pct}% of ${(total / 1e6).toFixed(0)} MB`);
    }
  });
  await pipeline(body, createWriteStream(join(outDir, fileName(a))));
  return expected;
}

/** Downloads (once) and verifies one Maven artifact into the cache; returns its path. */
export async function ensureArtifact(a: Artifact, log: Log): Promise<string> {
  const dir = join(cacheDir(), 'downloads');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, fileName(a));
  const marker = `${file}.verified`;
  if (!existsSync(file) || !existsSync(marker)) {
    rmSync(marker, { force: true });
    const expected = which('mvn') ? await fetchWithMaven(a, dir, log) : await fetchOverHttps(a, dir, log);
    const actual = await sha1Of(file);
    if (expected && expected !== actual) {
      rmSync(file, { force: true });
      throw new Error(`checksum mismatch for ${fileName(a)}: expected sha1 ${expected}, got ${actual}`);
    }
    log(`${fileName(a)}: sha1 ${actual} ${expected ? 'verified against the repository checksum' : 'verified by Maven (strict checksums)'}`);
    writeFileSync(marker, `${actual}\n`);
  }
  return file;
}

/** Downloads (once) and verifies the three artifacts; returns their paths. */
async function ensureArtifacts(log: Log): Promise<Map<string, string>> {
  const paths = new Map<string, string>();
  for (const a of ARTIFACTS) paths.set(a.artifactId, await ensureArtifact(a, log));
  return paths;
}

// ---------------------------------------------------------------------------------------
// Installation

function run(cmd: string, args: string[], cwd: string): void {
  const res = spawnSync(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${res.stderr?.toString().trim()}`);
}

/** Unpacks the server and the two plugins into the cache (once); returns the server directory. */
async function ensureInstalled(jdk: string, log: Log): Promise<string> {
  const target = join(cacheDir(), `trino-server-${TRINO_VERSION}`);
  if (existsSync(join(target, '.complete'))) return target;
  const artifacts = await ensureArtifacts(log);
  const tmp = `${target}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  log('unpacking the Trino server');
  run('tar', ['xzf', artifacts.get('trino-server-core')!, '-C', tmp, '--strip-components=1'], tmp);
  for (const plugin of ['trino-tpch', 'trino-memory']) {
    // Each zip holds one folder, <plugin>-<version>/, which becomes plugin/<folder>.
    // `jar` comes with the JDK we need anyway, so no unzip tool is assumed.
    run(join(jdk, 'bin', 'jar'), ['xf', artifacts.get(plugin)!], join(tmp, 'plugin'));
  }
  writeFileSync(join(tmp, '.complete'), `${new Date().toISOString()}\n`);
  rmSync(target, { recursive: true, force: true });
  renameSync(tmp, target);
  return target;
}

function javaMajor(home: string): number | undefined {
  const release = join(home, 'release');
  if (!existsSync(release) || !existsSync(join(home, 'bin', 'java'))) return undefined;
  const m = /JAVA_VERSION="(\d+)/.exec(readFileSync(release, 'utf8'));
  return m?.[1] ? Number(m[1]) : undefined;
}

/** JAVA_HOME when it is >= 24, else the newest suitable JDK under /usr/lib/jvm (Temurin first). */
export function findJdk(): string {
  const candidates: string[] = [];
  if (process.env['JAVA_HOME']) candidates.push(process.env['JAVA_HOME']);
  const jvm = '/usr/lib/jvm';
  if (existsSync(jvm)) {
    const dirs = readdirSync(jvm).map((d) => join(jvm, d));
    dirs.sort((a, b) => Number(b.includes('temurin')) - Number(a.includes('temurin')) || (javaMajor(b) ?? 0) - (javaMajor(a) ?? 0));
    candidates.push(...dirs);
  }
  for (const home of candidates) {
    const major = javaMajor(home);
    if (major !== undefined && major >= MIN_JAVA) return home;
  }
  throw new Error(
    `No JDK >= ${MIN_JAVA} found (looked at JAVA_HOME and /usr/lib/jvm). Trino ${TRINO_VERSION} needs Java ${MIN_JAVA} or newer.`,
  );
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function writeEtc(runDir: string, port: number, auth: AuthEtc): string {
  const etc = join(runDir, 'etc');
  mkdirSync(join(etc, 'catalog'), { recursive: true });
  writeFileSync(
    join(etc, 'node.properties'),
    `node.environment=trino_mcp_test\nnode.id=${randomUUID()}\nnode.data-dir=${join(runDir, 'data')}\n`,
  );
  writeFileSync(
    join(etc, 'config.properties'),
    [
      'coordinator=true',
      'node-scheduler.include-coordinator=true',
      `http-server.http.port=${port}`,
      `discovery.uri=http://127.0.0.1:${port}`,
      'query.max-memory=1GB',
      'query.max-memory-per-node=1GB',
      // keep finished queries visible in system.runtime.queries for the tests that check cancellation
      'query.min-expire-age=30m',
      ...writeAuthEtc(etc, auth),
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(etc, 'jvm.config'),
    ['-server', '-Xmx2G', '-XX:+UseG1GC', '-XX:+ExitOnOutOfMemoryError', '-Djdk.attach.allowAttachSelf=true', ''].join('\n'),
  );
  writeFileSync(join(etc, 'log.properties'), 'io.trino=WARN\n');
  writeFileSync(join(etc, 'catalog', 'tpch.properties'), 'connector.name=tpch\n');
  writeFileSync(join(etc, 'catalog', 'memory.properties'), 'connector.name=memory\n');
  return etc;
}

export interface LocalTrino {
  readonly url: string;
  readonly pid: number;
  readonly runDir: string;
  /** TRINO_CONFIG_VERSION it was started with (absent: before there was one). */
  readonly configVersion?: number;
  readonly auth?: TrinoAuthSetup;
}

/** What the authentication tests need to know about the test Trino and its IdP. */
export interface TrinoAuthSetup {
  /** Trino's HTTPS port (https://localhost:<port>), where credentials are checked. */
  readonly httpsUrl: string;
  readonly keycloakUrl: string;
  readonly keycloakPid: number;
  readonly issuer: string;
  /** Where test-pki.ts made the certificates and keys. */
  readonly pkiDir: string;
}

/**
 * Starts a local Trino in its own process group. `persistent` leaves it running after this
 * process exits. `port` starts it on a given port (a private Trino started again where a
 * server under test still points); a free one otherwise.
 */
export async function startLocalTrino(options: { runDir: string; persistent: boolean; log?: Log; port?: number }): Promise<LocalTrino> {
  const log = options.log ?? defaultLog;
  const jdk = findJdk();
  const home = await ensureInstalled(jdk, log);
  const port = options.port ?? (await freePort());
  const httpsPort = await freePort();
  const keycloakPort = await freePort();
  rmSync(options.runDir, { recursive: true, force: true });
  mkdirSync(options.runDir, { recursive: true });
  const pki = ensurePki(join(options.runDir, 'pki'));
  const issuer = realmIssuer(keycloakPort);
  const etc = writeEtc(options.runDir, port, { httpsPort, pki, issuer });
  // Keycloak boots while Trino does: Trino reads the realm's key from a file, not from Keycloak.
  const keycloak = startKeycloak({ port: keycloakPort, runDir: options.runDir, pki, persistent: options.persistent, log });
  keycloak.catch(() => undefined);
  const logFile = join(options.runDir, 'server.log');
  const fd = openSync(logFile, 'a');
  log(`starting Trino ${TRINO_VERSION} on port ${port} with ${jdk} (log: ${logFile})`);
  const child = spawn(join(home, 'bin', 'launcher'), ['run', `--etc-dir=${etc}`, `--data-dir=${join(options.runDir, 'data')}`], {
    cwd: options.runDir,
    detached: true,
    stdio: ['ignore', fd, fd],
    env: { ...process.env, JAVA_HOME: jdk, PATH: `${join(jdk, 'bin')}:${process.env['PATH'] ?? ''}` },
  });
  closeSync(fd);
  if (options.persistent) child.unref();
  const url = `http://127.0.0.1:${port}`;
  const started = Date.now();
  let kc: LocalKeycloak;
  try {
    await waitReady(url, child, logFile);
    log(`Trino ready at ${url} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    kc = await keycloak;
  } catch (err) {
    killGroup(child.pid!);
    void keycloak.then((k) => killGroup(k.pid), () => undefined);
    throw err;
  }
  const auth: TrinoAuthSetup = { httpsUrl: `https://localhost:${httpsPort}`, keycloakUrl: kc.url, keycloakPid: kc.pid, issuer, pkiDir: pki.dir };
  return { url, pid: child.pid!, runDir: options.runDir, configVersion: TRINO_CONFIG_VERSION, auth };
}

export function killGroup(pid: number, signal: NodeJS.Signals = 'SIGTERM'): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops a local Trino and the Keycloak started with it. */
export async function stopLocalStack(t: LocalTrino): Promise<void> {
  await Promise.all([stopLocalTrino(t.pid), ...(t.auth ? [stopLocalTrino(t.auth.keycloakPid)] : [])]);
}

export async function stopLocalTrino(pid: number): Promise<void> {
  killGroup(pid, 'SIGTERM');
  const deadline = Date.now() + 20_000;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  if (alive(pid)) killGroup(pid, 'SIGKILL');
}

// ---------------------------------------------------------------------------------------
// The persistent instance of `npm run trino:up`

const stateFile = () => join(cacheDir(), 'run', 'state.json');

/** The running `npm run trino:up` instance; 'replaced' when one with an outdated configuration was just stopped. */
export async function runningPersistent(log: Log = defaultLog): Promise<LocalTrino | 'replaced' | undefined> {
  if (!existsSync(stateFile())) return undefined;
  const state = JSON.parse(readFileSync(stateFile(), 'utf8')) as LocalTrino;
  if (!alive(state.pid)) return undefined;
  if (state.configVersion !== TRINO_CONFIG_VERSION || !state.auth || !alive(state.auth.keycloakPid)) {
    // Started by an older harness (or its Keycloak died): the tests would run against a
    // Trino that lacks what they check. Replace it.
    log(`the Trino of npm run trino:up has configuration version ${state.configVersion ?? 1}, not ${TRINO_CONFIG_VERSION}: restarting it`);
    await downPersistent();
    return 'replaced';
  }
  const info = await trinoInfo(state.url);
  return info && !info.starting ? state : undefined;
}

export async function upPersistent(log: Log = defaultLog): Promise<LocalTrino> {
  const existing = await runningPersistent(log);
  if (existing && existing !== 'replaced') return existing;
  const runDir = join(cacheDir(), 'run', 'persistent');
  const started = await startLocalTrino({ runDir, persistent: true, log });
  mkdirSync(dirname(stateFile()), { recursive: true });
  writeFileSync(stateFile(), JSON.stringify(started));
  return started;
}

export async function downPersistent(): Promise<boolean> {
  if (!existsSync(stateFile())) return false;
  const state = JSON.parse(readFileSync(stateFile(), 'utf8')) as LocalTrino;
  const wasAlive = alive(state.pid);
  if (wasAlive) await stopLocalTrino(state.pid);
  if (state.auth && alive(state.auth.keycloakPid)) await stopLocalTrino(state.auth.keycloakPid);
  rmSync(stateFile(), { force: true });
  return wasAlive;
}

// ---------------------------------------------------------------------------------------
// Containers

function containerRuntimeLikely(): boolean {
  if (process.env['DOCKER_HOST'] || process.env['TESTCONTAINERS_HOST_OVERRIDE']) return true;
  const sockets = ['/var/run/docker.sock', join(homedir(), '.docker', 'run', 'docker.sock'), `/run/user/${process.getuid?.() ?? 0}/podman/podman.sock`];
  return sockets.some((s) => existsSync(s));
}

async function startContainer(log: Log): Promise<TrinoHandle | undefined> {
  if (!containerRuntimeLikely()) return undefined;
  const tc = await import('testcontainers');
  try {
    await tc.getContainerRuntimeClient();
  } catch {
    log('no container runtime answered; using a local Trino');
    return undefined;
  }
  log(`starting trinodb/trino:${TRINO_VERSION} with testcontainers`);
  const container = await new tc.GenericContainer(`trinodb/trino:${TRINO_VERSION}`)
    .withExposedPorts(8080)
    .withWaitStrategy(tc.Wait.forHttp('/v1/info', 8080).forResponsePredicate((body) => body.includes('"starting":false')))
    .withStartupTimeout(READY_TIMEOUT_MS)
    .start();
  const url = `http://${container.getHost()}:${container.getMappedPort(8080)}`;
  await waitReady(url, undefined, undefined);
  return { url, kind: 'container', stop: async () => void (await container.stop()) };
}

// ---------------------------------------------------------------------------------------

/**
 * Gives the tests a Trino: TRINO_URL, else a running `npm run trino:up` instance, else a
 * container, else a fresh local Trino that `stop()` shuts down.
 */
export async function acquireTrino(log: Log = defaultLog): Promise<TrinoHandle> {
  const given = process.env['TRINO_URL'];
  if (given) {
    const url = given.replace(/\/$/, '');
    if (!(await trinoInfo(url))) throw new Error(`TRINO_URL=${url} does not answer GET /v1/info`);
    return { url, kind: 'url', stop: async () => undefined };
  }
  let persistent = await runningPersistent(log);
  // Others share the instance: bring it back with the current configuration, still persistent.
  if (persistent === 'replaced') persistent = await upPersistent(log);
  if (persistent) {
    log(`reusing the Trino of npm run trino:up at ${persistent.url}`);
    return { url: persistent.url, kind: 'local-reused', auth: persistent.auth, stop: async () => undefined };
  }
  const errors: string[] = [];
  // A local Trino first: it is the one configured for the authentication tests (HTTPS,
  // PASSWORD/JWT/CERTIFICATE, a Keycloak beside it); a plain container is the fallback.
  try {
    const runDir = join(cacheDir(), 'run', `test-${process.pid}`);
    const local = await startLocalTrino({ runDir, persistent: false, log });
    const onExit = () => {
      killGroup(local.pid, 'SIGKILL');
      if (local.auth) killGroup(local.auth.keycloakPid, 'SIGKILL');
    };
    process.once('exit', onExit);
    return {
      url: local.url,
      kind: 'local',
      auth: local.auth,
      stop: async () => {
        process.removeListener('exit', onExit);
        await stopLocalStack(local);
        rmSync(runDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    errors.push(`local Trino: ${(err as Error).message}`);
  }
  try {
    const c = await startContainer(log);
    if (c) return c;
  } catch (err) {
    errors.push(`testcontainers: ${(err as Error).message}`);
  }
  throw new Error(
    'No Trino available. Tried: TRINO_URL (not set); testcontainers (no container runtime answered); ' +
      `a local Trino (Maven/HTTPS download + JDK >= ${MIN_JAVA}).\n${errors.join('\n')}`,
  );
}
