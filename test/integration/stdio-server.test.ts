import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INITIALIZE, INITIALIZED, toolsCall } from '../support/json-rpc.ts';
import { connectStdio, GENERATIONS, PROTOCOL_VERSION, type McpSession } from '../support/mcp-clients.ts';
import { runProcess, SERVER_BIN, serverEnv } from '../support/processes.ts';
import { findQuery, killLeftoverQueries, settledQueryState, slowCallInFlight, slowSql, trinoQuery, uniqueName } from '../support/trino-sql.ts';

afterAll(killLeftoverQueries);

describe.each(GENERATIONS)('built server over stdio, %s, against real Trino', (generation) => {
  let mcp: McpSession;
  const table = uniqueName();

  beforeAll(async () => {
    await trinoQuery(`CREATE TABLE memory.default.${table} AS SELECT 1 AS id, 'kept' AS label`);
    // A capped result stays open behind a cursor for fetch_more; a one-second TRINO_CURSOR_TTL
    // makes the server cancel it soon, so that the cap test sees its query end.
    mcp = await connectStdio(generation, serverEnv({ TRINO_MAX_ROWS: '1000', TRINO_CURSOR_TTL: '1' }));
    // As real clients do: tools/list first, so the clients that validate structuredContent
    // against each outputSchema (v1) do so for every call below, error results included.
    const tools = await mcp.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(
      ['execute_query', 'explain_query', 'fetch_more', 'get_table_schema', 'list_catalogs', 'list_schemas', 'list_tables', 'search_tables'],
    );
    for (const tool of tools) expect(tool.annotations?.['readOnlyHint']).toBe(true);
  });
  afterAll(async () => {
    await mcp?.close();
    await trinoQuery(`DROP TABLE IF EXISTS memory.default.${table}`);
  });

  it('negotiates its protocol generation', () => {
    expect(mcp.protocolVersion()).toBe(PROTOCOL_VERSION[generation]);
  });

  it('list_catalogs contains tpch and memory', async () => {
    const r = await mcp.callTool('list_catalogs');
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent?.['catalogs']).toEqual(expect.arrayContaining(['tpch', 'memory', 'system']));
  });

  it('list_schemas(tpch) and list_tables(tpch, tiny) find nation', async () => {
    const schemas = await mcp.callTool('list_schemas', { catalog: 'tpch' });
    expect(schemas.structuredContent?.['schemas']).toEqual(expect.arrayContaining(['tiny', 'sf1']));
    const tables = await mcp.callTool('list_tables', { catalog: 'tpch', schema: 'tiny' });
    expect(tables.isError).toBeFalsy();
    expect(tables.structuredContent?.['tables']).toContain('nation');
  });

  it('SELECT count(*) FROM tpch.tiny.nation returns 25', async () => {
    const r = await mcp.callTool('execute_query', { sql: 'SELECT count(*) AS n FROM tpch.tiny.nation' });
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent).toMatchObject({ columns: [{ name: 'n', type: 'bigint' }], rows: [[25]], rowCount: 1, truncated: false });
    expect(r.content[0]?.text).toContain('25');
  });

  it('keeps column order, duplicate names and Trino types', async () => {
    const r = await mcp.callTool('execute_query', {
      sql: "SELECT 1 AS a, 'x' AS a, DECIMAL '1.50' AS d, DATE '2026-01-02' AS dt, ARRAY[1,2] AS arr;",
    });
    expect(r.structuredContent).toMatchObject({
      columns: [
        { name: 'a', type: 'integer' },
        { name: 'a', type: 'varchar(1)' },
        { name: 'd', type: 'decimal(3, 2)' },
        { name: 'dt', type: 'date' },
        { name: 'arr', type: 'array(integer)' },
      ],
      rows: [[1, 'x', '1.50', '2026-01-02', [1, 2]]],
    });
  });

  it('get_table_schema(tpch.tiny.nation) gives 4 columns in order with types', async () => {
    const r = await mcp.callTool('get_table_schema', { table: 'tpch.tiny.nation' });
    expect(r.isError).toBeFalsy();
    const columns = (r.structuredContent?.['columns'] as Array<{ name: string; type: string }>).map((c) => [c.name, c.type]);
    expect(columns).toEqual([
      ['nationkey', 'bigint'],
      ['name', 'varchar(25)'],
      ['regionkey', 'bigint'],
      ['comment', 'varchar(152)'],
    ]);
  });

  it('resolves `s.t` and `t` against catalog/schema arguments and defaults', async () => {
    const a = await mcp.callTool('get_table_schema', { table: 'tiny.region', catalog: 'tpch' });
    expect(a.structuredContent).toMatchObject({ catalog: 'tpch', schema: 'tiny', table: 'region' });
    const b = await mcp.callTool('get_table_schema', { table: 'region' }); // TRINO_CATALOG=tpch, TRINO_SCHEMA=tiny
    expect(b.structuredContent).toMatchObject({ catalog: 'tpch', schema: 'tiny', table: 'region' });
  });

  it('refuses an INSERT into a memory table with POLICY_DENIED and leaves the table unchanged', async () => {
    const r = await mcp.callTool('execute_query', { sql: `INSERT INTO memory.default.${table} VALUES (2, 'added')` });
    expect(r.isError).toBe(true);
    expect(r.structuredContent?.['code']).toBe('POLICY_DENIED');
    expect(await trinoQuery(`SELECT id, label FROM memory.default.${table}`)).toEqual([[1, 'kept']]);
  });

  it('caps a large query: truncated=true with a cursor, and the Trino query ends up cancelled past the TTL', async () => {
    const r = await mcp.callTool('execute_query', { sql: 'SELECT * FROM tpch.sf1.lineitem', limit: 10 });
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent).toMatchObject({ rowCount: 10, truncated: true, cursor: expect.any(String) });
    expect((r.structuredContent?.['rows'] as unknown[]).length).toBe(10);
    const queryId = r.structuredContent?.['queryId'] as string;
    expect(await settledQueryState(queryId)).toEqual({ state: 'FAILED', errorCode: 'USER_CANCELED' });
  });

  it('invalid SQL → QUERY_INVALID carrying Trino\'s error name and message', async () => {
    const r = await mcp.callTool('execute_query', { sql: 'SELECT FROM WHERE' });
    expect(r.isError).toBe(true);
    expect(r.structuredContent).toMatchObject({ code: 'QUERY_INVALID', errorName: 'SYNTAX_ERROR' });
    expect(r.structuredContent?.['message']).toMatch(/^line 1:\d+: /); // Trino's own message
    expect(r.content[0]?.text).not.toMatch(/\bat [\w.]+ \(|node_modules/); // no stack trace
  });

  it('unknown table → a clear message naming it', async () => {
    const q = await mcp.callTool('execute_query', { sql: 'SELECT * FROM tpch.tiny.no_such_table' });
    expect(q.structuredContent).toMatchObject({ code: 'QUERY_INVALID', errorName: 'TABLE_NOT_FOUND' });
    expect(q.structuredContent?.['message']).toContain('no_such_table');
    const d = await mcp.callTool('get_table_schema', { table: 'tpch.tiny.no_such_table' });
    expect(d.structuredContent).toMatchObject({ code: 'NOT_FOUND' });
    expect(d.structuredContent?.['message']).toContain('"no_such_table"');
  });

  it('quotes identifiers: a name cannot inject SQL', async () => {
    const r = await mcp.callTool('get_table_schema', { table: `${table}"; DROP TABLE memory.default.${table}; --`, catalog: 'memory', schema: 'default' });
    expect(r.structuredContent?.['code']).toMatch(/NOT_FOUND|INVALID_ARGUMENT/);
    expect(await trinoQuery(`SELECT count(*) FROM memory.default.${table}`)).toEqual([[1]]);
  });

  it('names with a double quote, a space or mixed case work', async () => {
    const odd = `odd "q" ${table}`; // Trino stores identifiers in lower case
    await trinoQuery(`CREATE TABLE memory.default."${odd.replaceAll('"', '""')}" ("Mixed Col" bigint, "quote""col" varchar)`);
    try {
      const tables = await mcp.callTool('list_tables', { catalog: 'memory', schema: 'default' });
      expect(tables.structuredContent?.['tables']).toContain(odd);
      const quotedArg = `memory.default."${odd.replaceAll('"', '""')}"`;
      const described = await mcp.callTool('get_table_schema', { table: quotedArg });
      expect(described.isError).toBeFalsy();
      expect(described.structuredContent).toMatchObject({
        table: odd,
        columns: [
          { name: 'mixed col', type: 'bigint' },
          { name: 'quote"col', type: 'varchar' },
        ],
      });
      const mixed = await mcp.callTool('get_table_schema', { table: 'NATION', catalog: 'TPCH', schema: 'Tiny' });
      expect(mixed.isError).toBeFalsy();
      expect((mixed.structuredContent?.['columns'] as unknown[]).length).toBe(4);
    } finally {
      await trinoQuery(`DROP TABLE IF EXISTS memory.default."${odd.replaceAll('"', '""')}"`);
    }
  });

  it('explain_query: plans, validates, and refuses to explain a write', async () => {
    const io = await mcp.callTool('explain_query', { sql: 'SELECT name FROM tpch.tiny.nation', type: 'IO' });
    expect(io.isError).toBeFalsy();
    expect(io.structuredContent?.['plan']).toContain('nation');
    const logical = await mcp.callTool('explain_query', { sql: 'SELECT count(*) FROM tpch.tiny.nation;' });
    expect(logical.structuredContent).toMatchObject({ type: 'LOGICAL' });
    expect(logical.structuredContent?.['plan']).toMatch(/Aggregate|TableScan/);
    const valid = await mcp.callTool('explain_query', { sql: 'SELECT 1', type: 'VALIDATE' });
    expect(valid.structuredContent).toEqual({ type: 'VALIDATE', plan: 'valid: true' });
    const write = await mcp.callTool('explain_query', { sql: `DELETE FROM memory.default.${table}` });
    expect(write.structuredContent).toMatchObject({ code: 'POLICY_DENIED' });
  });

  it('cancelling the request cancels the Trino query', async () => {
    const controller = new AbortController();
    // Cancel from the client side only once Trino has the query.
    const { call, queryId } = await slowCallInFlight(mcp, controller.signal);
    controller.abort();
    await expect(call).rejects.toThrow();
    expect(await settledQueryState(queryId)).toEqual({ state: 'FAILED', errorCode: 'USER_CANCELED' });
  });
});

describe('timeouts, outages and bad configuration', () => {
  it('a query that outlives TRINO_QUERY_TIMEOUT returns TIMEOUT and is cancelled', async () => {
    const mcp = await connectStdio('v2 client, protocol 2026-07-28', serverEnv({ TRINO_QUERY_TIMEOUT: '2' }));
    try {
      const r = await mcp.callTool('execute_query', { sql: slowSql() });
      expect(r.isError).toBe(true);
      expect(r.structuredContent?.['code']).toBe('TIMEOUT');
      const queryId = r.structuredContent?.['queryId'] as string;
      expect(queryId).toMatch(/^\d{8}_\d{6}_\d{5}_\w+$/);
      expect(await settledQueryState(queryId)).toEqual({ state: 'FAILED', errorCode: 'USER_CANCELED' });
    } finally {
      await mcp.close();
    }
  });

  it('Trino unreachable → ENGINE_UNAVAILABLE, and the process stays up', async () => {
    // Port 9 (discard) on loopback: nothing listens there, the connection is refused.
    const mcp = await connectStdio('v1 client (@modelcontextprotocol/sdk)', serverEnv({ TRINO_HOST: '127.0.0.1', TRINO_PORT: '9' }));
    try {
      const first = await mcp.callTool('list_catalogs');
      expect(first.structuredContent).toMatchObject({ code: 'ENGINE_UNAVAILABLE', retryable: true });
      const second = await mcp.callTool('execute_query', { sql: 'SELECT 1' });
      expect(second.structuredContent).toMatchObject({ code: 'ENGINE_UNAVAILABLE' });
      expect((await mcp.listTools()).length).toBe(8);
    } finally {
      await mcp.close();
    }
  });

  it('SIGTERM while a query runs: exit 0, and the Trino query is cancelled, not left running', async () => {
    const marker = uniqueName('it_sigterm');
    const child = spawn(process.execPath, [SERVER_BIN], { env: serverEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    for (const m of [INITIALIZE, INITIALIZED, toolsCall(2, 'execute_query', { sql: slowSql(marker) })]) child.stdin.write(`${JSON.stringify(m)}\n`);
    const { queryId } = await findQuery(marker);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(await settledQueryState(queryId)).toEqual({ state: 'FAILED', errorCode: 'USER_CANCELED' });
  });

  it('bad configuration → exit status 2 and one line naming the variable', async () => {
    const r = await runProcess(process.execPath, [SERVER_BIN], {
      env: { PATH: process.env['PATH'] ?? '', TRINO_PORT: 'eighty', TRINO_PASSWORD: 'hunter2-secret' },
    });
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('TRINO_PORT');
    expect(r.stderr).not.toContain('hunter2-secret');
    expect(r.stdout).toBe('');
  });

  it('stdout carries only JSON-RPC; logs go to stderr and never show the password', async () => {
    const input = [INITIALIZE, INITIALIZED, toolsCall(2, 'list_catalogs')].map((m) => `${JSON.stringify(m)}\n`).join('');
    // stdin closes right after the input: keep it open until both answers arrived.
    const child = spawn(process.execPath, [SERVER_BIN], {
      env: { ...serverEnv(), TRINO_PASSWORD: 'hunter2-secret', TRINO_ALLOW_INSECURE_AUTH: 'true' },
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const done = new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes('"id":2')) resolve();
      });
    });
    child.stdin.write(input);
    await done;
    child.stdin.end();
    await new Promise((r) => child.on('close', r));
    const lines = stdout.trim().split('\n');
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ jsonrpc: '2.0' });
    expect(stderr).toContain('starting trino-mcp');
    expect(stderr).not.toContain('hunter2-secret');
  });
});
