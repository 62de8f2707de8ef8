/**
 * Statements shaped to make classification slow or deep, sent as clients send them: as
 * large as each transport lets through (MCP_MAX_BODY_BYTES over HTTP, the SDK's 10 MiB line
 * over stdio), to the built server and a real Trino. The answers are asserted, not the
 * time: `npm run bench` times these shapes, test/unit/sql-lexer-cost.test.ts counts the work.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer, stopAllHttpServers, type HttpServerHandle } from '../support/http-server.ts';
import { connectHttp, connectStdio, type McpSession } from '../support/mcp-clients.ts';
import { serverEnv } from '../support/processes.ts';

/** MCP_MAX_BODY_BYTES by default. */
const MAX_BODY_BYTES = 1024 * 1024;
/** Room for the JSON-RPC envelope around the `sql` argument. */
const ENVELOPE_BYTES = 4 * 1024;
/** Trino's query.max-length (1,000,000 characters by default): longer statements are refused by Trino itself. */
const TRINO_MAX_QUERY_CHARS = 1_000_000;

/** `unit` repeated until `sql(...)` is as long as it may be, with `sql` built around the repetition. */
function fill(unit: string, limit: (sql: string) => boolean, build: (body: string) => string): string {
  let count = 1;
  while (limit(build(unit.repeat(count * 2)))) count *= 2;
  let step = count;
  while (step >= 1) {
    if (limit(build(unit.repeat(count + step)))) count += step;
    step = Math.floor(step / 2);
  }
  return build(unit.repeat(count));
}

/** Fits in one request body: the argument's JSON, with the envelope's room. */
const fitsBody = (sql: string) => Buffer.byteLength(JSON.stringify(sql)) + ENVELOPE_BYTES <= MAX_BODY_BYTES;

describe('hostile statements over HTTP, as large as MCP_MAX_BODY_BYTES allows', () => {
  let server: HttpServerHandle;
  let mcp: McpSession;

  beforeAll(async () => {
    server = await startHttpServer();
    mcp = await connectHttp('v2 client, protocol 2026-07-28', server.url);
  });

  afterAll(async () => {
    await mcp?.close();
    await stopAllHttpServers();
  });

  it('refuses a DELETE under a hundred thousand EXPLAINs as a write, by the policy', async () => {
    // Classified by a recursion per EXPLAIN, this exhausted the stack: an internal error.
    const sql = fill('EXPLAIN ', fitsBody, (explains) => `${explains}DELETE FROM tpch.tiny.nation`);
    expect(sql.length).toBeGreaterThan(MAX_BODY_BYTES - 2 * ENVELOPE_BYTES);
    const r = await mcp.callTool('execute_query', { sql });
    expect(r.isError).toBe(true);
    expect(r.structuredContent).toMatchObject({ code: 'POLICY_DENIED', rule: 'READ_ONLY' });
  });

  it('runs a SELECT after almost a megabyte of -- comments ending in \\r only, as Trino reads them', async () => {
    // Trino ends a -- comment at \r too: the same statement, classified and run.
    const limit = (sql: string) => fitsBody(sql) && sql.length <= TRINO_MAX_QUERY_CHARS;
    const sql = fill('-- SELECT ; DELETE\r', limit, (comments) => `${comments}SELECT 42 AS answer`);
    expect(sql.length).toBeGreaterThan(0.9 * TRINO_MAX_QUERY_CHARS);
    const r = await mcp.callTool('execute_query', { sql });
    expect(r.structuredContent, JSON.stringify(r.structuredContent)).toMatchObject({ rows: [[42]] });
  });

  it("refuses a string of '' escapes left open at the very end, naming the lexical rule", async () => {
    const sql = fill("''", fitsBody, (quotes) => `SELECT '${quotes}`);
    const r = await mcp.callTool('execute_query', { sql });
    expect(r.structuredContent).toMatchObject({ code: 'POLICY_DENIED', rule: 'LEXICAL' });
  });
});

describe('hostile statements over stdio, 8 MiB in one message', () => {
  let mcp: McpSession;

  beforeAll(async () => {
    mcp = await connectStdio('v2 client, protocol 2026-07-28', serverEnv());
  });

  afterAll(async () => {
    await mcp?.close();
  });

  // Lexed with a search per line-end character at each comment, this took minutes (half a
  // million searches through megabytes); the timeout is only a backstop, far above the
  // second or two the transfer and classification take.
  it('refuses a DELETE under 8 MiB of -- comment lines, and still answers the next call', { timeout: 60_000 }, async () => {
    const sql = `${'-- a comment line\n'.repeat(Math.ceil((8 * 1024 * 1024) / 18))}DELETE FROM tpch.tiny.nation`;
    const r = await mcp.callTool('execute_query', { sql });
    expect(r.structuredContent).toMatchObject({ code: 'POLICY_DENIED', rule: 'READ_ONLY' });
    const next = await mcp.callTool('execute_query', { sql: 'SELECT count(*) FROM tpch.tiny.nation' });
    expect(next.structuredContent).toMatchObject({ rows: [[25]] });
  });
});
