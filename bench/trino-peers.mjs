// The contenders of bench/trino.mjs: Trino's REST protocol by hand (the limit), trino-client
// used directly, and the built server over stdio and over HTTP, each behind one
// `call(sql) → rows` function, plus the server process's CPU time and RSS from /proc.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Trino } from 'trino-client';
import { Agent } from 'undici';
import { gunzipSync } from 'node:zlib';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

/** BENCH_SERVER_BIN runs another build (e.g. of an older commit) for a before/after; BENCH_NODE_FLAGS e.g. --cpu-prof. */
export const SERVER_BIN = process.env.BENCH_SERVER_BIN ?? new URL('../dist/app/main.js', import.meta.url).pathname;
const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
const USER = 'trino-mcp-bench';

/** The Trino of `npm run trino:up` (BENCH_TRINO_URL overrides). */
export function trinoUrl() {
  if (process.env.BENCH_TRINO_URL) return process.env.BENCH_TRINO_URL;
  const base = process.env.TRINO_MCP_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'trino-mcp');
  return JSON.parse(readFileSync(join(base, 'run', 'state.json'), 'utf8')).url;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const TICK_MS = 1000 / 100; // USER_HZ on Linux

/** CPU time (user + system) of a process so far, in ms, from /proc/<pid>/stat. */
export function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

/** Resident set size of a process, in MB. */
export function rssMb(pid) {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line.split(/\s+/)[1]) / 1024;
}

/** Trino's protocol by hand: POST /v1/statement, follow nextUri, plain JSON.parse. What no client can beat. */
export function rawRest(server) {
  return async (sql) => {
    const headers = { 'X-Trino-User': USER, 'X-Trino-Source': 'bench-raw' };
    let res = await fetch(`${server}/v1/statement`, { method: 'POST', headers, body: sql });
    let page = await res.json();
    let rows = 0;
    for (;;) {
      if (page.error) throw new Error(page.error.message);
      rows += page.data?.length ?? 0;
      if (!page.nextUri) return rows;
      res = await fetch(page.nextUri, { headers });
      page = await res.json();
    }
  };
}

/**
 * The same loop on undici's request API over a keep-alive pool, as the server's engine
 * talks to Trino: what a Node.js process cannot avoid spending per call (its HTTP exchanges
 * with Trino and JSON.parse of the pages), the floor under the server's CPU per call.
 */
export function undiciLoop(server) {
  const agent = new Agent({ connections: 4, keepAliveTimeout: 20_000 });
  const headers = { 'x-trino-user': USER, 'x-trino-source': 'bench-undici', 'accept-encoding': 'identity' };
  const get = async (url, init) => JSON.parse(await (await agent.request({ origin: url.origin, path: url.pathname + url.search, headers, ...init })).body.text());
  return async (sql) => {
    let page = await get(new URL('/v1/statement', server), { method: 'POST', body: sql });
    let rows = 0;
    for (;;) {
      if (page.error) throw new Error(page.error.message);
      rows += page.data?.length ?? 0;
      if (!page.nextUri) return rows;
      page = await get(new URL(page.nextUri), { method: 'GET' });
    }
  };
}

/**
 * The bytes Trino sends for one run of `sql`, with and without gzip (Accept-Encoding), by
 * the undici loop: what TRINO_HTTP_COMPRESSION saves on the wire.
 */
export async function wireBytes(server, sql) {
  const agent = new Agent({ connections: 1 });
  const sizes = {};
  try {
    for (const encoding of ['identity', 'gzip']) {
      const headers = { 'x-trino-user': USER, 'x-trino-source': 'bench-wire', 'accept-encoding': encoding };
      let bytes = 0;
      let url = new URL('/v1/statement', server);
      let init = { method: 'POST', body: sql };
      for (;;) {
        const res = await agent.request({ origin: url.origin, path: url.pathname + url.search, headers, ...init });
        const body = Buffer.from(await res.body.arrayBuffer());
        bytes += body.length;
        const page = JSON.parse((res.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body).toString('utf8'));
        if (page.error) throw new Error(page.error.message);
        if (!page.nextUri) break;
        url = new URL(page.nextUri);
        init = { method: 'GET' };
      }
      sizes[encoding] = bytes;
    }
  } finally {
    await agent.close();
  }
  return { plain: sizes.identity, gzip: sizes.gzip };
}

/** trino-client 0.2.9 used directly: a client per query, as an application would. */
export function trinoClient(server) {
  return async (sql) => {
    const trino = Trino.create({ server, source: 'bench-trino-client', extraHeaders: { 'X-Trino-User': USER } });
    let rows = 0;
    for await (const page of await trino.query(sql)) {
      if (page.error) throw new Error(page.error.message);
      rows += page.data?.length ?? 0;
    }
    return rows;
  };
}

function serverEnv(server, extra) {
  const url = new URL(server);
  return {
    PATH: process.env.PATH ?? '',
    TRINO_HOST: url.hostname,
    TRINO_PORT: url.port,
    TRINO_SCHEME: url.protocol.replace(':', ''),
    TRINO_USER: USER,
    TRINO_CATALOG: 'tpch',
    TRINO_SCHEMA: 'tiny',
    ...extra,
  };
}

/** The rows of a tools/call answer; throws on a tool error. */
function rowsOf(message) {
  if (message.error) throw new Error(JSON.stringify(message.error));
  const s = message.result?.structuredContent;
  if (message.result?.isError || !s) throw new Error(`tool error: ${JSON.stringify(message.result).slice(0, 300)}`);
  return s;
}

/**
 * The built server over stdio, driven by hand-written JSON-RPC lines (no client library
 * in the way): `call(sql)` sends one execute_query and resolves with its structuredContent.
 */
export async function stdioServer(server, extra = {}, bin = SERVER_BIN) {
  const child = spawn(process.execPath, [...NODE_FLAGS, bin], { env: serverEnv(server, extra), stdio: ['pipe', 'pipe', 'ignore'] });
  const pending = new Map();
  let buffered = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    buffered += chunk;
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const message = JSON.parse(line);
      pending.get(message.id)?.(message);
      pending.delete(message.id);
    }
  });
  let id = 0;
  const request = (method, params) =>
    new Promise((resolve) => {
      const n = ++id;
      pending.set(n, resolve);
      child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: n, method, params })}\n`);
    });
  await request('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } });
  child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
  return {
    pid: child.pid,
    call: async (sql) => rowsOf(await request('tools/call', { name: 'execute_query', arguments: { sql } })),
    // SIGTERM: a --cpu-prof profile is written at a clean exit.
    stop: () => new Promise((resolve) => (child.once('exit', resolve), child.kill(NODE_FLAGS.length ? 'SIGTERM' : 'SIGKILL'))),
  };
}

/** A JWKS of one RS256 key on loopback, and tokens it signs: an identity provider for OAuth on. */
export async function localJwks() {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'RS256', use: 'sig' };
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const srv = createHttpServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise((r) => srv.listen(port, '127.0.0.1', r));
  return {
    issuer,
    jwksUrl: `${issuer}/jwks`,
    token: (audience) =>
      new SignJWT({ scope: 'trino:read', preferred_username: 'bench' })
        .setProtectedHeader({ alg: 'RS256', kid: 'bench' })
        .setIssuer(issuer)
        .setSubject('bench-user')
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime('2h')
        .sign(privateKey),
    close: () => new Promise((r) => srv.close(r)),
  };
}

/** Spawns the built server over HTTP with `env` and resolves once it logs that it listens (its stderr is then drained). */
export async function spawnListening(bin, env, timeoutMs = 60_000) {
  const child = spawn(process.execPath, [...NODE_FLAGS, bin], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.setEncoding('utf8');
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not listen; stderr:\n${err}`)), timeoutMs);
    child.stderr.on('data', (chunk) => {
      err += chunk;
      if (err.includes('"msg":"listening"')) {
        clearTimeout(timer);
        child.stderr.removeAllListeners('data');
        child.stderr.resume();
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}; stderr:\n${err}`)));
  });
  return child;
}

/** The built server over streamable HTTP (stateless, 2025-06-18), one POST per call; `oauth` turns bearer tokens on. */
export async function httpServer(server, extra = {}, oauth, bin = SERVER_BIN) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/mcp`;
  const env = serverEnv(server, {
    MCP_TRANSPORT: 'http',
    MCP_PORT: String(port),
    ...(oauth ? { OAUTH_ENABLED: 'true', OIDC_ISSUER: oauth.issuer, OIDC_JWKS_URL: oauth.jwksUrl } : { MCP_ALLOW_UNAUTHENTICATED: 'true' }),
    ...extra,
  });
  const child = await spawnListening(bin, env);
  const headers = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': '2025-06-18',
    ...(oauth ? { authorization: `Bearer ${await oauth.token(url)}` } : {}),
  };
  let id = 0;
  const post = async (body) => {
    const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
    const text = await res.text();
    const json = text.startsWith('{') ? text : text.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5)).at(-1);
    return JSON.parse(json);
  };
  return {
    pid: child.pid,
    url,
    headers,
    call: async (sql) => rowsOf(await post({ jsonrpc: '2.0', id: ++id, method: 'tools/call', params: { name: 'execute_query', arguments: { sql } } })),
    // SIGTERM: a --cpu-prof profile is written at a clean exit.
    stop: () => new Promise((resolve) => (child.once('exit', resolve), child.kill(NODE_FLAGS.length ? 'SIGTERM' : 'SIGKILL'))),
  };
}
