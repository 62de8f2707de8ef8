import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectEliciting, type Answer, type ElicitingSession } from '../support/elicit-clients.ts';
import { startHttpServer, stopAllHttpServers } from '../support/http-server.ts';
import { connectStdio, GENERATIONS, type McpSession } from '../support/mcp-clients.ts';
import { serverEnv } from '../support/processes.ts';
import { trinoQuery, uniqueName } from '../support/trino-sql.ts';

const schema = uniqueName('confirm');
const table = `memory.${schema}.t`;
const env = (extra: Record<string, string> = {}) =>
  serverEnv({ TRINO_ALLOW_WRITE_QUERIES: 'true', TRINO_WRITE_CONFIRMATION: 'elicit', MCP_CURSOR_SECRET: 'write-confirmation test secret, 32+ bytes', ...extra });
const insert = (v: number) => `INSERT INTO ${table} VALUES (${v})`;
const values = async () => (await trinoQuery(`SELECT id FROM ${table} ORDER BY id`)).map((r) => r[0]);

const open: Array<{ close(): Promise<void> }> = [];
beforeAll(async () => {
  await trinoQuery(`CREATE SCHEMA memory.${schema}`);
  await trinoQuery(`CREATE TABLE ${table} (id integer)`);
});
afterAll(async () => {
  await Promise.all(open.map((s) => s.close().catch(() => undefined)));
  await stopAllHttpServers();
  await trinoQuery(`DROP TABLE IF EXISTS ${table}`);
  await trinoQuery(`DROP SCHEMA IF EXISTS memory.${schema}`);
});

async function eliciting(generation: (typeof GENERATIONS)[number], target: Parameters<typeof connectEliciting>[1], answer: Answer): Promise<ElicitingSession> {
  const s = await connectEliciting(generation, target, answer);
  open.push(s);
  return s;
}

describe.each(GENERATIONS)('confirmed writes over stdio (%s)', (generation) => {
  it('shows the statement, its kind and the table; decline and cancel leave the table unchanged; accept runs it', async () => {
    const s = await eliciting(generation, { stdio: env() }, 'decline');
    const v = generation.startsWith('v1') ? 100 : 200;
    const declined = await s.callTool('execute_statement', { sql: insert(v) });
    expect(declined.structuredContent?.['code']).toBe('NOT_CONFIRMED');
    expect(s.asked).toHaveLength(1);
    expect(s.asked[0]).toContain(insert(v));
    expect(s.asked[0]).toContain('INSERT INTO');
    expect(s.asked[0]).toContain(`${table}`);
    s.answer = 'cancel';
    expect((await s.callTool('execute_statement', { sql: insert(v + 1) })).structuredContent?.['code']).toBe('NOT_CONFIRMED');
    s.answer = 'accept-false';
    expect((await s.callTool('execute_statement', { sql: insert(v + 2) })).structuredContent?.['code']).toBe('NOT_CONFIRMED');
    expect(await values()).not.toEqual(expect.arrayContaining([v]));
    expect(await values()).not.toEqual(expect.arrayContaining([v + 1]));
    s.answer = 'accept';
    const accepted = await s.callTool('execute_statement', { sql: insert(v + 3) });
    expect(accepted.isError, JSON.stringify(accepted.structuredContent)).toBeFalsy();
    expect(await values()).toEqual(expect.arrayContaining([v + 3]));
    expect(await values()).not.toEqual(expect.arrayContaining([v, v + 1, v + 2]));
  });

  it('a client without elicitation is refused (NOT_CONFIRMED) and nothing runs; with TRINO_WRITE_CONFIRMATION=none it runs', async () => {
    const v = generation.startsWith('v1') ? 300 : 400;
    const plain: McpSession = await connectStdio(generation, env());
    open.push(plain);
    const r = await plain.callTool('execute_statement', { sql: insert(v) });
    expect(r.structuredContent?.['code']).toBe('NOT_CONFIRMED');
    expect(await values()).not.toContain(v);
    const none: McpSession = await connectStdio(generation, env({ TRINO_WRITE_CONFIRMATION: 'none' }));
    open.push(none);
    expect((await none.callTool('execute_statement', { sql: insert(v + 1) })).isError).toBeFalsy();
    expect(await values()).toContain(v + 1);
  });
});

describe('confirmed writes over stateless HTTP', () => {
  it('2026-07-28: the input-required round trip works on a fresh request (decline leaves the table, accept writes)', async () => {
    const server = await startHttpServer({ ...env(), MCP_ALLOW_UNAUTHENTICATED: 'true' });
    const s = await eliciting(GENERATIONS[0]!, { url: server.url }, 'decline');
    expect((await s.callTool('execute_statement', { sql: insert(500) })).structuredContent?.['code']).toBe('NOT_CONFIRMED');
    expect(await values()).not.toContain(500);
    s.answer = 'accept';
    const ok = await s.callTool('execute_statement', { sql: insert(501) });
    expect(ok.isError, JSON.stringify(ok.structuredContent)).toBeFalsy();
    expect(await values()).toContain(501);
  });

  it('2025 revisions: stateless HTTP cannot carry the question, so the statement is refused, naming why', async () => {
    const server = await startHttpServer({ ...env(), MCP_ALLOW_UNAUTHENTICATED: 'true' });
    const s = await eliciting(GENERATIONS[1]!, { url: server.url }, 'accept');
    const r = await s.callTool('execute_statement', { sql: insert(600) });
    expect(r.structuredContent?.['code']).toBe('NOT_CONFIRMED');
    expect(s.asked).toHaveLength(0);
    expect(await values()).not.toContain(600);
  });

  it('an answer forged without the server asking (no or wrong requestState) is refused', async () => {
    const server = await startHttpServer({ ...env(), MCP_ALLOW_UNAUTHENTICATED: 'true' });
    const body = {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: {
        name: 'execute_statement',
        arguments: { sql: insert(700) },
        inputResponses: { confirm_write: { action: 'accept', content: { confirm: true } } },
        requestState: 'forged',
        _meta: {
          'io.modelcontextprotocol/protocolVersion': '2026-07-28',
          'io.modelcontextprotocol/clientInfo': { name: 'forger', version: '1' },
          'io.modelcontextprotocol/clientCapabilities': { elicitation: { form: {} } },
        },
      },
    };
    const res = await fetch(server.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'tools/call',
        'mcp-name': 'execute_statement',
      },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    expect(text, text.slice(0, 400)).toContain('NOT_CONFIRMED');
    expect(await values()).not.toContain(700);
  });
});
