/**
 * notifications/progress at the MCP edge, in process, with a short interval: sent while a
 * query runs when the request carries a progressToken, with Trino's latest numbers; never
 * without one; and not after the call settled.
 */
import 'reflect-metadata';
import { Client } from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it } from 'vitest';
import { Inflight } from '../../src/adapters/lifecycle/inflight.ts';
import { progressMessage } from '../../src/adapters/mcp/progress.ts';
import { TrinoMcpServer } from '../../src/adapters/mcp/trino-mcp-server.ts';
import { Access } from '../../src/domain/access.ts';
import type { QueryEngine, QueryEvent, QueryProgress } from '../../src/ports/query-engine.ts';
import { CapturingLogger } from '../fakes/capturing-logger.ts';
import { FakeQueryPolicy } from '../fakes/fake-query-policy.ts';
import { noPages } from '../fakes/no-pages.ts';
import { mcpSettingsOf, unitSettings, useCasesOver } from './support/mcp-server.ts';

const INTERVAL_MS = 20;
const RUNNING: QueryProgress = { state: 'RUNNING', processedRows: 1234, processedBytes: 5_600_000, completedSplits: 3, totalSplits: 12 };

/** A query that reports progress and then hangs until `finish` is called. */
function slowEngine() {
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  const engine: QueryEngine = {
    ...noPages,
    async *run(): AsyncGenerator<QueryEvent> {
      yield { kind: 'started', queryId: 'q_slow' };
      yield { kind: 'progress', progress: RUNNING };
      await done;
      yield { kind: 'columns', columns: [{ name: 'n', type: 'bigint' }] };
      yield { kind: 'rows', rows: [[1]] };
    },
  };
  return { engine, finish };
}

const open: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of open.splice(0)) await close();
});

async function connect(engine: QueryEngine, generation: 'v2' | 'v1') {
  const settings = unitSettings();
  const servers = new TrinoMcpServer(
    mcpSettingsOf(settings, INTERVAL_MS),
    new Access({ allowWrites: false, requiredScopes: [] }),
    useCasesOver(engine, settings, new FakeQueryPolicy()),
    new Inflight(),
    new CapturingLogger(),
  );
  const server = servers.create({ principal: { subject: 'alice', scopes: [], via: 'test' } });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  // What the server sends, as it leaves: a client may drop a notification it did not ask for.
  const sent: Array<{ method?: string }> = [];
  const send = serverSide.send.bind(serverSide);
  serverSide.send = (message, options) => {
    sent.push(message as { method?: string });
    return send(message, options);
  };
  await server.connect(serverSide);
  const client = generation === 'v2' ? new Client({ name: 'unit', version: '1' }) : new V1Client({ name: 'unit', version: '1' });
  await client.connect(clientSide as never);
  open.push(async () => {
    await client.close();
    await server.close();
  });
  return { client, sent };
}

type Progress = { progress: number; message?: string };

/** Calls execute_query; with `onprogress`, the client sends a progressToken. */
function callTool(client: Client | V1Client, onprogress?: (p: Progress) => void) {
  const params = { name: 'execute_query', arguments: { sql: 'SELECT n FROM slow' } };
  const options = onprogress ? { onprogress, timeout: 10_000 } : { timeout: 10_000 };
  return client instanceof V1Client ? client.callTool(params, undefined, options) : client.callTool(params, options);
}

describe.each(['v2', 'v1'] as const)('progress notifications, %s client', (generation) => {
  it('arrive every interval while the query runs, with Trino state and numbers, growing progress', async () => {
    const { engine, finish } = slowEngine();
    const { client, sent } = await connect(engine, generation);
    const seen: Progress[] = [];
    const call = callTool(client, (p) => seen.push(p));
    while (seen.length < 3) await new Promise((r) => setTimeout(r, INTERVAL_MS));
    finish();
    const result = (await call) as { structuredContent?: { rows?: unknown[] } };
    expect(result.structuredContent?.rows).toEqual([[1]]);
    expect(seen.map((p) => p.progress)).toEqual(seen.map((_, i) => i + 1));
    expect(sent.filter((m) => m.method === 'notifications/progress').length).toBe(seen.length);
    expect(seen.at(-1)?.message).toBe(progressMessage(RUNNING));
    expect(seen.at(-1)?.message).toContain('RUNNING: 1234 rows and 5.6 MB processed, 3/12 splits done');
    // None after the answer.
    const count = seen.length;
    await new Promise((r) => setTimeout(r, INTERVAL_MS * 5));
    expect(seen.length).toBe(count);
  });

  it('are not sent to a request without a progressToken', async () => {
    const { engine, finish } = slowEngine();
    const { client, sent } = await connect(engine, generation);
    const call = callTool(client);
    await new Promise((r) => setTimeout(r, INTERVAL_MS * 10));
    finish();
    await call;
    expect(sent.some((m) => m.method === 'tools/call' || 'result' in m)).toBe(true);
    expect(sent.filter((m) => m.method === 'notifications/progress')).toEqual([]);
  });
});
