import { freePort } from '../harness/trino-server.ts';
import { SignJWT } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { connectHttp, connectStdio, GENERATIONS, type McpSession, type ToolResult } from '../support/mcp-clients.ts';
import { startHttpServer, stopAllHttpServers } from '../support/http-server.ts';
import { serverEnv } from '../support/processes.ts';
import { settledQueryState, trinoQuery } from '../support/trino-sql.ts';

const PAGED = 'SELECT * FROM tpch.tiny.orders ORDER BY orderkey';
const SECRET = 'result-pages integration secret, 32+ bytes';
const pagesEnv = (extra: Record<string, string> = {}) => serverEnv({ TRINO_MAX_ROWS: '1000', MCP_CURSOR_SECRET: SECRET, ...extra });

const code = (r: ToolResult) => r.structuredContent?.['code'];
const cursorOf = (r: ToolResult) => r.structuredContent?.['cursor'] as string | undefined;
const rowsOf = (r: ToolResult) => r.structuredContent?.['rows'] as unknown[][];

const sessions: McpSession[] = [];
async function stdio(generation: (typeof GENERATIONS)[number], env: Record<string, string>): Promise<McpSession> {
  const s = await connectStdio(generation, env);
  sessions.push(s);
  return s;
}

afterAll(async () => {
  await Promise.all(sessions.map((s) => s.close().catch(() => undefined)));
  await stopAllHttpServers();
});

/** Flips one character in the middle of the cursor's ciphertext. */
function tamper(cursor: string): string {
  const parts = cursor.split('.');
  const i = 3;
  const s = parts[i]!;
  const at = Math.floor(s.length / 2);
  parts[i] = `${s.slice(0, at)}${s[at] === 'A' ? 'B' : 'A'}${s.slice(at + 1)}`;
  return parts.join('.');
}

describe.each(GENERATIONS)('result pages over stdio (%s)', (generation) => {
  it('pages through tpch.tiny.orders 1,000 rows at a time: all 15,000 rows in order, none lost or repeated; the query finishes', async () => {
    const full = await trinoQuery(PAGED);
    expect(full.length).toBe(15_000);
    const s = await stdio(generation, pagesEnv());
    let answer = await s.callTool('execute_query', { sql: PAGED });
    expect(answer.isError, JSON.stringify(answer.structuredContent)).toBeFalsy();
    const queryId = answer.structuredContent?.['queryId'] as string;
    const rows = [...rowsOf(answer)];
    let pages = 1;
    let last: string | undefined;
    for (let cursor = cursorOf(answer); cursor; cursor = cursorOf(answer)) {
      expect(rowsOf(answer).length).toBe(1000);
      last = cursor;
      answer = await s.callTool('fetch_more', { cursor });
      expect(answer.isError, JSON.stringify(answer.structuredContent)).toBeFalsy();
      expect(answer.structuredContent?.['queryId']).toBe(queryId);
      rows.push(...rowsOf(answer));
      pages++;
    }
    expect(pages).toBe(15);
    expect(answer.structuredContent?.['truncated']).toBe(false);
    expect(rows).toEqual(full);
    expect((await settledQueryState(queryId)).state).toBe('FINISHED');
    // Replay after the end: the result is gone.
    expect(code(await s.callTool('fetch_more', { cursor: last! }))).toBe('CURSOR_EXPIRED');
  });
});

describe('result pages: hostile cursors, other processes, TTL and the cap (real Trino)', () => {
  const generation = GENERATIONS[0]!;

  it('a cursor made by one process works on a second with the same secret; not with another secret or none', async () => {
    const a = await stdio(generation, pagesEnv());
    const b = await stdio(generation, pagesEnv());
    const other = await stdio(generation, pagesEnv({ MCP_CURSOR_SECRET: 'another result-pages secret of 32+ bytes' }));
    const none = await stdio(generation, serverEnv({ TRINO_MAX_ROWS: '1000' }));
    const first = await a.callTool('execute_query', { sql: PAGED });
    const cursor = cursorOf(first)!;
    expect(code(await other.callTool('fetch_more', { cursor }))).toBe('CURSOR_INVALID');
    expect(code(await none.callTool('fetch_more', { cursor }))).toBe('CURSOR_INVALID');
    const onB = await b.callTool('fetch_more', { cursor });
    expect(onB.isError, JSON.stringify(onB.structuredContent)).toBeFalsy();
    expect(rowsOf(onB)[0]).toEqual((await trinoQuery(`${PAGED} OFFSET 1000 LIMIT 1`))[0]);
    // A cursor of a process without a secret works there only.
    const own = cursorOf(await none.callTool('execute_query', { sql: PAGED }))!;
    expect(code(await a.callTool('fetch_more', { cursor: own }))).toBe('CURSOR_INVALID');
    expect((await none.callTool('fetch_more', { cursor: own })).isError).toBeFalsy();
  });

  it('refuses tampered, truncated, made-up and huge cursors with a stable code, and runs nothing', async () => {
    const s = await stdio(generation, pagesEnv());
    const cursor = cursorOf(await s.callTool('execute_query', { sql: PAGED }))!;
    expect(cursor.length).toBeLessThan(1000);
    for (const forged of [tamper(cursor), cursor.slice(0, -5), 'not-a-cursor', `${cursor}x`, cursor.split('.').reverse().join('.')]) {
      expect(code(await s.callTool('fetch_more', { cursor: forged })), forged).toBe('CURSOR_INVALID');
    }
    expect(code(await s.callTool('fetch_more', { cursor: 'A'.repeat(100_000) }))).toBe('INVALID_ARGUMENT');
    // The real one still reads the next page: the forgeries did not move the result on.
    const next = await s.callTool('fetch_more', { cursor });
    expect(rowsOf(next)[0]).toEqual((await trinoQuery(`${PAGED} OFFSET 1000 LIMIT 1`))[0]);
  });

  it('a cursor past TRINO_CURSOR_TTL is CURSOR_EXPIRED and its Trino query is cancelled', async () => {
    const s = await stdio(generation, pagesEnv({ TRINO_CURSOR_TTL: '1' }));
    const first = await s.callTool('execute_query', { sql: PAGED });
    const queryId = first.structuredContent?.['queryId'] as string;
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(code(await s.callTool('fetch_more', { cursor: cursorOf(first)! }))).toBe('CURSOR_EXPIRED');
    const settled = await settledQueryState(queryId);
    expect(settled).toEqual({ state: 'FAILED', errorCode: 'USER_CANCELED' });
  });

  it('keeps at most TRINO_MAX_CONCURRENT_QUERIES_PER_USER results open per user: a newer one cancels the oldest', async () => {
    const s = await stdio(generation, pagesEnv({ TRINO_MAX_CONCURRENT_QUERIES_PER_USER: '2' }));
    const answers: ToolResult[] = [];
    for (let i = 0; i < 3; i++) answers.push(await s.callTool('execute_query', { sql: `${PAGED} /* page cap ${i} */` }));
    const [oldest, ...newer] = answers;
    expect(await settledQueryState(oldest!.structuredContent?.['queryId'] as string)).toEqual({ state: 'FAILED', errorCode: 'USER_CANCELED' });
    expect(code(await s.callTool('fetch_more', { cursor: cursorOf(oldest!)! }))).toBe('CURSOR_EXPIRED');
    for (const a of newer) expect((await s.callTool('fetch_more', { cursor: cursorOf(a)!, limit: 1 })).isError).toBeFalsy();
  });

  it('over HTTP with OAuth, another user cannot use a cursor (CURSOR_INVALID); its owner can', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/mcp`;
    const hmac = 'result-pages hmac secret of at least 32 bytes';
    await startHttpServer({
      ...pagesEnv(),
      MCP_PORT: String(port),
      MCP_URL: url,
      OAUTH_ENABLED: 'true',
      OAUTH_PROVIDER: 'hmac',
      JWT_SECRET: hmac,
      OIDC_ISSUER: 'https://issuer.example',
    });
    const token = (sub: string) =>
      new SignJWT({ iss: 'https://issuer.example', aud: url, sub })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(hmac));
    const alice = await connectHttp(generation, url, { headers: { Authorization: `Bearer ${await token('alice')}` } });
    const bob = await connectHttp(generation, url, { headers: { Authorization: `Bearer ${await token('bob')}` } });
    sessions.push(alice, bob);
    const cursor = cursorOf(await alice.callTool('execute_query', { sql: PAGED }))!;
    expect(code(await bob.callTool('fetch_more', { cursor }))).toBe('CURSOR_INVALID');
    expect((await alice.callTool('fetch_more', { cursor })).isError).toBeFalsy();
  });
});
