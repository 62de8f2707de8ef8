/**
 * Progress of long queries on real Trino, through the built server: a request with a
 * progressToken gets notifications/progress while the query runs (over stdio and over
 * streamable HTTP, both client generations; on the 2025-era HTTP, on the POST's SSE
 * response stream), one without gets none. MCP_PROGRESS_INTERVAL_MS is lowered so that the
 * test sees several without waiting 5 s for each.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer, type HttpServerHandle } from '../support/http-server.ts';
import { toolsCall } from '../support/json-rpc.ts';
import { connectHttp, connectStdio, GENERATIONS, type McpSession, type ProgressInfo } from '../support/mcp-clients.ts';
import { serverEnv } from '../support/processes.ts';
import { findQuery, killLeftoverQueries, settledQueryState, slowSql, uniqueName } from '../support/trino-sql.ts';
import { poll } from '../support/wait.ts';

const INTERVAL = { MCP_PROGRESS_INTERVAL_MS: '250' };

let http: HttpServerHandle;
beforeAll(async () => {
  http = await startHttpServer({ MCP_ALLOW_UNAUTHENTICATED: 'true', ...INTERVAL });
});
afterAll(async () => {
  await http?.stop();
  await killLeftoverQueries();
});

/** Runs slowSql with a progressToken until three notifications came, then cancels; what came, and the query. */
async function progressOfSlowQuery(session: McpSession): Promise<{ seen: ProgressInfo[]; queryId: string }> {
  const marker = uniqueName('it_progress');
  const controller = new AbortController();
  const seen: ProgressInfo[] = [];
  const call = session.callTool('execute_query', { sql: slowSql(marker) }, controller.signal, (p) => seen.push(p));
  call.catch(() => undefined);
  const { queryId } = await findQuery(marker);
  try {
    const running = await poll(() => seen.filter((p) => p.message?.startsWith('RUNNING')).length, (n) => n >= 3, { timeoutMs: 30_000 });
    expect(running).toBeGreaterThanOrEqual(3);
  } finally {
    controller.abort();
  }
  return { seen, queryId };
}

describe.each(GENERATIONS)('progress of a long query, %s', (generation) => {
  const transports: Array<[string, () => Promise<McpSession>]> = [
    ['stdio', () => connectStdio(generation, serverEnv(INTERVAL))],
    ['streamable HTTP', () => connectHttp(generation, http.url)],
  ];

  it.each(transports)('over %s: notifications while it runs, with Trino state, rows and splits', async (_transport, connect) => {
    const session = await connect();
    try {
      const { seen, queryId } = await progressOfSlowQuery(session);
      expect(seen.map((p) => p.progress)).toEqual(seen.map((_, i) => i + 1));
      expect(seen.at(-1)?.message).toMatch(/^RUNNING: \d+ rows and .+ processed, \d+\/\d+ splits done$/);
      // The cancel of the call reached Trino.
      expect((await settledQueryState(queryId)).errorCode).toBe('USER_CANCELED');
    } finally {
      await session.close();
    }
  });
});

describe('progress over the 2025-era streamable HTTP', () => {
  /** POSTs a tools/call of slowSql and reads the SSE response stream for `ms`, then drops it. */
  async function sseOf(meta: Record<string, unknown> | undefined, ms: number): Promise<{ events: Array<Record<string, unknown>>; queryId: string }> {
    const marker = uniqueName('it_progress_sse');
    const call = toolsCall(7, 'execute_query', { sql: slowSql(marker) });
    const body = meta ? { ...call, params: { ...call.params, _meta: meta } } : call;
    const controller = new AbortController();
    const res = await fetch(http.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' },
      body: JSON.stringify(body),
      signal: controller.signal,
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const { queryId } = await findQuery(marker);
    const events: Array<Record<string, unknown>> = [];
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    const until = Date.now() + ms;
    let buffered = '';
    try {
      while (Date.now() < until) {
        const next = await Promise.race([reader.read(), new Promise<null>((r) => setTimeout(() => r(null), until - Date.now()))]);
        if (next === null || next.done) break;
        buffered += next.value;
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) if (line.startsWith('data:')) events.push(JSON.parse(line.slice(5)) as Record<string, unknown>);
      }
    } finally {
      controller.abort(); // closing the response cancels the call
    }
    return { events, queryId };
  }

  it('with a progressToken: notifications/progress on the POST response stream, then the cancel reaches Trino', async () => {
    const { events, queryId } = await sseOf({ progressToken: 'tok-1' }, 2_500);
    const progress = events.filter((e) => e['method'] === 'notifications/progress');
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress.every((e) => (e['params'] as { progressToken?: unknown }).progressToken === 'tok-1')).toBe(true);
    expect((await settledQueryState(queryId)).errorCode).toBe('USER_CANCELED');
  });

  it('without a progressToken: no notifications at all', async () => {
    const { events, queryId } = await sseOf(undefined, 2_000);
    expect(events.filter((e) => e['method'] === 'notifications/progress')).toEqual([]);
    expect((await settledQueryState(queryId)).errorCode).toBe('USER_CANCELED');
  });
});

