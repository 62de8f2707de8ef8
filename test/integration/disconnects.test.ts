/**
 * A client that vanishes mid-query, below the level of a client library: its stdio closed,
 * its HTTP socket closed, its 2024-11-05 SSE stream closed. Nobody will read the answer, so
 * the Trino query must be cancelled, within 2 s of the disconnect. (A client that cancels
 * politely is covered in stdio-server.test.ts and http-transport.test.ts, SIGTERM there
 * too.)
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer, stopAllHttpServers, type HttpServerHandle } from '../support/http-server.ts';
import { INITIALIZE, INITIALIZED, toolsCall } from '../support/json-rpc.ts';
import { SERVER_BIN, serverEnv } from '../support/processes.ts';
import { findQuery, killLeftoverQueries, settledQueryState, slowSql, uniqueName } from '../support/trino-sql.ts';

afterAll(async () => {
  await stopAllHttpServers();
  await killLeftoverQueries();
});

const CANCELLED = { state: 'FAILED', errorCode: 'USER_CANCELED' };
/** The bound of the issue: the query is cancelled within 2 s of the disconnect. */
const WITHIN_MS = 2_000;
const line = (m: unknown) => `${JSON.stringify(m)}\n`;

describe('stdio', () => {
  it('the client closes stdin mid-query → the Trino query is cancelled within 2 s', async () => {
    const child = spawn(process.execPath, [SERVER_BIN], { env: serverEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdout.resume();
    child.stderr.resume();
    try {
      const marker = uniqueName('disc_stdio');
      child.stdin.write(line(INITIALIZE) + line(INITIALIZED) + line(toolsCall(7, 'execute_query', { sql: slowSql(marker) })));
      const { queryId } = await findQuery(marker);
      child.stdin.end();
      expect(await settledQueryState(queryId, WITHIN_MS)).toEqual(CANCELLED);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('HTTP (no OAuth)', () => {
  let server: HttpServerHandle;
  beforeAll(async () => {
    server = await startHttpServer();
  });

  /** A POST over a raw socket: what a client that dies leaves behind. */
  function rawPost(path: string, body: unknown, protocolVersion: string): net.Socket {
    const payload = JSON.stringify(body);
    const socket = net.connect(server.port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write(
      `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n` +
        `Mcp-Protocol-Version: ${protocolVersion}\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`,
    );
    socket.resume();
    return socket;
  }

  it.each(['2025-06-18', '2025-03-26'])('protocol %s: the socket of a POST /mcp closes mid-query → the query is cancelled within 2 s', async (version) => {
    const marker = uniqueName('disc_http');
    const socket = rawPost('/mcp', toolsCall(3, 'execute_query', { sql: slowSql(marker) }), version);
    const { queryId } = await findQuery(marker);
    socket.destroy();
    expect(await settledQueryState(queryId, WITHIN_MS)).toEqual(CANCELLED);
  });

  it('the 2024-11-05 SSE stream closes while its call runs → the query is cancelled within 2 s', async () => {
    const stream = new AbortController();
    const res = await fetch(`${server.origin}/sse`, { headers: { accept: 'text/event-stream' }, signal: stream.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = '';
    while (!/data: *(\S+)/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    const endpoint = /data: *(\S+)/.exec(text)![1]!;
    const post = (m: unknown) => fetch(new URL(endpoint, server.origin), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(m) });
    expect((await post({ ...INITIALIZE, params: { ...INITIALIZE.params, protocolVersion: '2024-11-05' } })).status).toBe(202);
    await post(INITIALIZED);
    const marker = uniqueName('disc_sse');
    expect((await post(toolsCall(5, 'execute_query', { sql: slowSql(marker) }))).status).toBe(202);
    const { queryId } = await findQuery(marker);
    stream.abort();
    expect(await settledQueryState(queryId, WITHIN_MS)).toEqual(CANCELLED);
  });
});
