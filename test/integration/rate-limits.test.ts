/**
 * Rate limits per principal on the built server: over HTTP a principal past its bucket
 * gets 429 with Retry-After before anything runs, other principals are served, and a
 * client rotating fake tokens is bounded by its address, never by the tokens; over stdio
 * a call past the bucket is a retryable RATE_LIMITED tool error. The refill is set to one
 * token a minute so that nothing refills while a test runs.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hmacToken, startHttpServer, stopAllHttpServers, type HttpServerHandle } from '../support/http-server.ts';
import { postJsonRpc, toolsCall, TOOLS_LIST } from '../support/json-rpc.ts';
import { connectHttp, connectStdio, GENERATIONS } from '../support/mcp-clients.ts';
import { serverEnv } from '../support/processes.ts';
import { poll } from '../support/wait.ts';

afterAll(stopAllHttpServers);

const SECRET = 'rate-limit-test-secret-of-at-least-32-bytes!';
const BURST = 5;

describe('over HTTP with OAuth (HMAC): RATE_LIMIT_PER_MINUTE=1, RATE_LIMIT_BURST=5, batches of at most 5', () => {
  let server: HttpServerHandle;
  beforeAll(async () => {
    server = await startHttpServer({
      OAUTH_ENABLED: 'true',
      OAUTH_PROVIDER: 'hmac',
      JWT_SECRET: SECRET,
      RATE_LIMIT_PER_MINUTE: '1',
      RATE_LIMIT_BURST: String(BURST),
      MCP_MAX_BATCH_SIZE: String(BURST),
    });
  });

  const token = (sub: string) => hmacToken(SECRET, server.url, sub, '', '5m');
  const asUser = async (sub: string) => ({ authorization: `Bearer ${await token(sub)}` });
  const toolCalls = () => server.logs().filter((l) => l['msg'] === 'tool call').length;

  it('a principal gets its burst, then 429 with Retry-After and no-store, before any tool runs; others are still served', async () => {
    const alice = await asUser('alice');
    for (let i = 0; i < BURST; i++) expect((await postJsonRpc(server.url, TOOLS_LIST, alice)).status).toBe(200);
    const before = toolCalls();
    const refused = await postJsonRpc(server.url, toolsCall(9, 'list_catalogs'), alice);
    expect(refused.status).toBe(429);
    // One token a minute: the wait for the next one is about a minute.
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(50);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers.get('cache-control')).toBe('no-store');
    expect(await refused.json()).toMatchObject({ error: 'rate_limited', retry_after: retryAfter });
    expect(toolCalls()).toBe(before);
    // A fresh token of the same subject is the same principal: no new bucket.
    expect((await postJsonRpc(server.url, TOOLS_LIST, await asUser('alice'))).status).toBe(429);
    expect((await postJsonRpc(server.url, TOOLS_LIST, await asUser('bob'))).status).toBe(200);
  });

  it('a batch costs one token per message: a full batch spends a whole bucket, and none of a refused one runs', async () => {
    const carol = await asUser('carol');
    const batch = Array.from({ length: BURST }, (_, i) => toolsCall(i + 1, 'list_catalogs'));
    const start = toolCalls();
    expect((await postJsonRpc(server.url, batch, carol)).status).toBe(200);
    // The log lines of the batch's calls reach this process a moment after the answer.
    const before = await poll(toolCalls, (n) => n >= start + BURST, { timeoutMs: 5_000, intervalMs: 20 });
    expect(before).toBe(start + BURST);
    expect((await postJsonRpc(server.url, [toolsCall(1, 'list_catalogs')], carol)).status).toBe(429);
    expect(toolCalls()).toBe(before);
  });

  it.each(GENERATIONS)('%s: a client past the limit sees the 429 as an error, not a hang', async (generation) => {
    const headers = await asUser(`dave-${generation.slice(0, 2)}`);
    // Connecting takes a request or two of the burst; the calls spend the rest, then one more.
    const client = await connectHttp(generation, server.url, { headers });
    try {
      let failure: unknown;
      for (let i = 0; i <= BURST && !failure; i++) await client.callTool('list_catalogs').catch((err: unknown) => (failure = err));
      // The SDKs surface the body of the 429: its stable error code reaches the caller.
      expect(String(failure)).toMatch(/rate_limited/);
    } finally {
      await client.close().catch(() => undefined);
    }
  });

  it('rotating fake tokens from one address: a burst of 401s, then 429 without verifying; no bucket per token', async () => {
    const rejected = () => server.logs().filter((l) => l['msg'] === 'authentication refused' && l['reason'] === 'invalid_token').length;
    const before = rejected();
    const statuses: number[] = [];
    for (let i = 0; i < 50; i++) {
      const fake = `${randomBytes(12).toString('base64url')}.${randomBytes(24).toString('base64url')}.${randomBytes(32).toString('base64url')}`;
      statuses.push((await postJsonRpc(server.url, TOOLS_LIST, { authorization: `Bearer ${fake}` })).status);
    }
    expect(statuses.slice(0, BURST)).toEqual(Array(BURST).fill(401));
    expect(statuses.slice(BURST)).toEqual(Array(50 - BURST).fill(429));
    // Only the first BURST tokens were verified at all.
    expect(rejected() - before).toBe(BURST);
  });
});

describe('over stdio: RATE_LIMIT_PER_MINUTE=1, RATE_LIMIT_BURST=2', () => {
  it.each(GENERATIONS)('%s: the third call is a retryable RATE_LIMITED tool error with the wait, and the server stays up', async (generation) => {
    const client = await connectStdio(generation, serverEnv({ RATE_LIMIT_PER_MINUTE: '1', RATE_LIMIT_BURST: '2' }));
    try {
      expect((await client.callTool('list_catalogs')).isError).toBeFalsy();
      expect((await client.callTool('list_catalogs')).isError).toBeFalsy();
      const refused = await client.callTool('list_catalogs');
      expect(refused.isError).toBe(true);
      expect(refused.structuredContent).toMatchObject({ code: 'RATE_LIMITED', retryable: true });
      expect(Number(refused.structuredContent?.['retryAfterMs'])).toBeGreaterThan(50_000);
      // tools/list is not a tool call: it is not limited.
      expect((await client.listTools()).length).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  });
});
