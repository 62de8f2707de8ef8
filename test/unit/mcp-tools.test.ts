import 'reflect-metadata';
import { Client } from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport, type CallToolResult } from '@modelcontextprotocol/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { outputSchemas, TrinoMcpServer, type McpSettings } from '../../src/adapters/mcp/trino-mcp-server.ts';
import type { Principal } from '../../src/domain/model.ts';
import {
  DescribeTable,
  ExecuteQuery,
  ExplainQuery,
  ListCatalogs,
  ListSchemas,
  ListTables,
  type QuerySettings,
} from '../../src/domain/use-cases.ts';
import type { QueryEngine } from '../../src/ports/query-engine.ts';
import { CapturingLogger } from '../fakes/capturing-logger.ts';
import { FakeQueryPolicy } from '../fakes/fake-query-policy.ts';
import { InMemoryQueryEngine } from '../fakes/in-memory-query-engine.ts';

const TOOLS = ['execute_query', 'explain_query', 'get_table_schema', 'list_catalogs', 'list_schemas', 'list_tables'];
const principal: Principal = { subject: 'alice@example.com', scopes: [], via: 'test' };
const settings: QuerySettings = { maxRows: 3, timeoutMs: 5_000, defaults: { catalog: 'memory', schema: 'default' } };
const mcpSettings: McpSettings = { ...settings, allowWrites: false, name: 'trino-mcp', version: '0.0.0-test' };

/** An engine whose every query fails with a non-domain error, as a bug would. */
const explodingEngine: QueryEngine = {
  run() {
    throw new Error('boom at /secret/path');
  },
};

interface Harness {
  engine: InMemoryQueryEngine;
  policy: FakeQueryPolicy;
  log: CapturingLogger;
  client: Client;
  call(name: string, args?: Record<string, unknown>, signal?: AbortSignal): Promise<CallToolResult>;
  close(): Promise<void>;
}

async function start(options: { brokenCatalogs?: boolean } = {}): Promise<Harness> {
  const engine = new InMemoryQueryEngine();
  const policy = new FakeQueryPolicy({ deny: ['DELETE FROM t'] });
  const log = new CapturingLogger();
  const servers = new TrinoMcpServer(
    mcpSettings,
    log,
    new ListCatalogs(options.brokenCatalogs ? explodingEngine : engine, settings),
    new ListSchemas(engine, settings),
    new ListTables(engine, settings),
    new DescribeTable(engine, settings),
    new ExecuteQuery(engine, settings, policy),
    new ExplainQuery(engine, settings, policy),
  );
  const server = servers.create(() => principal);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'unit-test', version: '1.0.0' });
  await client.connect(clientSide);
  return {
    engine,
    policy,
    log,
    client,
    call: (name, args = {}, signal) =>
      client.callTool({ name, arguments: args }, signal ? { signal } : undefined) as Promise<CallToolResult>,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

/** Polls `condition` every millisecond; fails after two seconds. */
async function waitUntil(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 2 s');
    await new Promise((r) => setTimeout(r, 1));
  }
}

const columnsOf = (names: string[]) => names.map((name) => ({ name, type: 'varchar' }));

describe('TrinoMcpServer over MCP', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await start();
  });
  afterEach(async () => {
    await h.close();
  });

  it('lists exactly the six tools, all read-only', async () => {
    const { tools } = await h.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(TOOLS);
    for (const tool of tools) {
      expect(tool.annotations?.readOnlyHint, tool.name).toBe(true);
      expect(tool.annotations?.destructiveHint, tool.name).toBe(false);
      expect(tool.title, tool.name).toBeTruthy();
      expect(tool.description, tool.name).toBeTruthy();
      expect(tool.outputSchema, tool.name).toBeDefined();
    }
  });

  it.each(TOOLS)('keeps the input and output schema of %s stable', async (name) => {
    const { tools } = await h.client.listTools();
    const tool = tools.find((t) => t.name === name)!;
    expect({ inputSchema: tool.inputSchema, outputSchema: tool.outputSchema }).toMatchSnapshot();
  });

  it('states the row cap and the timeout in the execute_query description', async () => {
    const { tools } = await h.client.listTools();
    const description = tools.find((t) => t.name === 'execute_query')!.description!;
    expect(description).toContain('At most 3 rows');
    expect(description).toContain('5 s');
  });

  it('execute_query returns columns, rows, rowCount and truncated, keeping duplicate column names in order', async () => {
    h.engine.define('SELECT 1 AS x, 2 AS x, 3 AS y', {
      columns: [
        { name: 'x', type: 'integer' },
        { name: 'x', type: 'integer' },
        { name: 'y', type: 'integer' },
      ],
      rows: [[1, 2, 3]],
    });
    const result = await h.call('execute_query', { sql: 'SELECT 1 AS x, 2 AS x, 3 AS y;' });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual({
      columns: [
        { name: 'x', type: 'integer' },
        { name: 'x', type: 'integer' },
        { name: 'y', type: 'integer' },
      ],
      rows: [[1, 2, 3]],
      rowCount: 1,
      truncated: false,
      queryId: 'fake_1',
    });
    expect(result.content).toEqual([{ type: 'text', text: 'x (integer)\tx (integer)\ty (integer)\n1\t2\t3\n(1 row)' }]);
  });

  it('execute_query truncates at the cap, honours a lower limit and cancels the query', async () => {
    h.engine.define('SELECT n', { columns: columnsOf(['n']), rows: [['1'], ['2'], ['3'], ['4'], ['5']] });
    const capped = await h.call('execute_query', { sql: 'SELECT n' });
    expect(capped.structuredContent).toMatchObject({ rowCount: 3, truncated: true });
    const limited = await h.call('execute_query', { sql: 'SELECT n', limit: 2 });
    expect(limited.structuredContent).toMatchObject({ rows: [['1'], ['2']], rowCount: 2, truncated: true });
    expect(h.engine.cancelled).toEqual(['fake_1', 'fake_2']);
    expect((limited.content[0] as { text: string }).text).toContain('cap is 2');
  });

  it('execute_query reports a policy denial as POLICY_DENIED and never runs the statement', async () => {
    const result = await h.call('execute_query', { sql: 'DELETE FROM t' });
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({ code: 'POLICY_DENIED', rule: 'READ_ONLY' });
    expect(h.engine.calls).toEqual([]);
  });

  it('execute_query reports an engine rejection as QUERY_INVALID with errorName and queryId', async () => {
    const result = await h.call('execute_query', { sql: 'SELEC 1' });
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({ code: 'QUERY_INVALID', errorName: 'SYNTAX_ERROR', queryId: 'fake_1' });
  });

  it('get_table_schema reports a missing table as NOT_FOUND', async () => {
    h.engine.define('DESCRIBE "memory"."default"."nope"', { error: { errorName: 'TABLE_NOT_FOUND', message: 'no such table' } });
    const result = await h.call('get_table_schema', { table: 'nope' });
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({ code: 'NOT_FOUND', errorName: 'TABLE_NOT_FOUND' });
  });

  it('get_table_schema rejects a four-part name as INVALID_ARGUMENT', async () => {
    const result = await h.call('get_table_schema', { table: 'a.b.c.d' });
    expect(result.structuredContent).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(h.engine.calls).toEqual([]);
  });

  it('get_table_schema returns the columns', async () => {
    h.engine.define('DESCRIBE "memory"."default"."t"', {
      columns: columnsOf(['Column', 'Type', 'Extra', 'Comment']),
      rows: [
        ['id', 'bigint', '', ''],
        ['note', 'varchar', '', 'free text'],
      ],
    });
    const result = await h.call('get_table_schema', { table: 't' });
    expect(result.structuredContent).toEqual({
      catalog: 'memory',
      schema: 'default',
      table: 't',
      columns: [
        { name: 'id', type: 'bigint' },
        { name: 'note', type: 'varchar', comment: 'free text' },
      ],
    });
  });

  it('list_catalogs, list_schemas and list_tables return names', async () => {
    h.engine
      .define('SHOW CATALOGS', { columns: columnsOf(['Catalog']), rows: [['memory'], ['system']] })
      .define('SHOW SCHEMAS FROM "we""ird"', { columns: columnsOf(['Schema']), rows: [['s']] })
      .define('SHOW TABLES FROM "memory"."default"', { columns: columnsOf(['Table']), rows: [['t']] });
    expect((await h.call('list_catalogs')).structuredContent).toEqual({ catalogs: ['memory', 'system'], truncated: false });
    expect((await h.call('list_schemas', { catalog: 'we"ird' })).structuredContent).toEqual({
      catalog: 'we"ird',
      schemas: ['s'],
      truncated: false,
    });
    expect((await h.call('list_tables')).structuredContent).toEqual({
      catalog: 'memory',
      schema: 'default',
      tables: ['t'],
      truncated: false,
    });
  });

  it('explain_query returns the plan', async () => {
    h.engine.define('EXPLAIN (TYPE IO) SELECT 1', { columns: columnsOf(['Query Plan']), rows: [['{"io": 1}']] });
    const result = await h.call('explain_query', { sql: 'SELECT 1', type: 'IO' });
    expect(result.structuredContent).toEqual({ type: 'IO', plan: '{"io": 1}' });
    expect(h.policy.calls.map((c) => c.sql)).toEqual(['EXPLAIN (TYPE IO) SELECT 1']);
  });

  it('rejects arguments that do not match the input schema without running anything', async () => {
    const result = await h.call('execute_query', { sql: '' });
    expect(result.isError).toBe(true);
    expect(h.policy.calls).toEqual([]);
    expect(h.engine.calls).toEqual([]);
  });

  it('cancels the engine query when the client cancels the call', async () => {
    h.engine.define('SELECT sleep', { hang: true });
    const controller = new AbortController();
    const pending = h.call('execute_query', { sql: 'SELECT sleep' }, controller.signal);
    // Wait until the query has started on the fake engine.
    await waitUntil(() => h.engine.isRunning('fake_1'));
    controller.abort();
    await expect(pending).rejects.toThrow();
    await waitUntil(() => h.engine.cancelled.length > 0);
    expect(h.engine.cancelled).toEqual(['fake_1']);
    expect(h.engine.isRunning('fake_1')).toBe(false);
  });

  it('logs one "tool call" entry per call, with tool, user and outcome', async () => {
    h.engine.define('SELECT 1', { columns: columnsOf(['x']), rows: [['1']] });
    await h.call('execute_query', { sql: 'SELECT 1' });
    await h.call('execute_query', { sql: 'DELETE FROM t' });
    await h.call('get_table_schema', { table: 'a.b.c.d' });
    await h.call('execute_query', { sql: 'SELEC 1' });
    const entries = h.log.withMessage('tool call');
    expect(entries).toHaveLength(4);
    expect(entries.map((e) => e.fields)).toEqual([
      expect.objectContaining({ tool: 'execute_query', user: principal.subject, via: 'test', outcome: 'ok', rows: 1, queryId: 'fake_1' }),
      expect.objectContaining({ tool: 'execute_query', user: principal.subject, outcome: 'POLICY_DENIED' }),
      expect.objectContaining({ tool: 'get_table_schema', user: principal.subject, outcome: 'INVALID_ARGUMENT' }),
      expect.objectContaining({ tool: 'execute_query', user: principal.subject, outcome: 'QUERY_INVALID', errorName: 'SYNTAX_ERROR', queryId: 'fake_2' }),
    ]);
    for (const e of entries) expect(typeof e.fields['durationMs']).toBe('number');
  });
});

describe('TrinoMcpServer internal errors', () => {
  it('hides an unexpected failure behind INTERNAL with a ref, and logs the details', async () => {
    const h = await start({ brokenCatalogs: true });
    try {
      const result = await h.call('list_catalogs');
      expect(result.isError).toBe(true);
      const structured = result.structuredContent as { code: string; ref: string };
      expect(structured.code).toBe('INTERNAL');
      expect(structured.ref).toMatch(/^[0-9a-f]{8}$/);
      expect(JSON.stringify(result)).not.toContain('boom');
      const internal = h.log.withMessage('internal error in tool');
      expect(internal).toHaveLength(1);
      expect(internal[0]!.fields).toMatchObject({ tool: 'list_catalogs', ref: structured.ref });
      expect(String(internal[0]!.fields['error'])).toContain('boom at /secret/path');
      const calls = h.log.withMessage('tool call');
      expect(calls).toHaveLength(1);
      expect(calls[0]!.fields).toMatchObject({ tool: 'list_catalogs', user: principal.subject, outcome: 'INTERNAL' });
    } finally {
      await h.close();
    }
  });
});

describe('TrinoMcpServer with a v1 SDK client', () => {
  // Regression: src/adapters/mcp/errors.ts toolError + trino-mcp-server.ts outputSchemas.
  it('receives a tool error as an isError result, not a protocol error', async () => {
    const engine = new InMemoryQueryEngine();
    const policy = new FakeQueryPolicy({ deny: ['DELETE FROM t'] });
    const servers = new TrinoMcpServer(
      mcpSettings,
      new CapturingLogger(),
      new ListCatalogs(engine, settings),
      new ListSchemas(engine, settings),
      new ListTables(engine, settings),
      new DescribeTable(engine, settings),
      new ExecuteQuery(engine, settings, policy),
      new ExplainQuery(engine, settings, policy),
    );
    const server = servers.create(() => principal);
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const client = new V1Client({ name: 'v1-client', version: '1.0.0' });
    // The v1 and v2 Transport interfaces differ only in their types.
    await client.connect(clientSide as unknown as Parameters<V1Client['connect']>[0]);
    try {
      await client.listTools(); // fills the client's output-schema validators
      const result = await client.callTool({ name: 'execute_query', arguments: { sql: 'DELETE FROM t' } });
      expect(result.isError).toBe(true);
    } finally {
      await client.close();
      await server.close();
    }
  });
});

describe('error results fit every tool outputSchema', () => {
  // Clients of the 2025 SDK validate structuredContent against the outputSchema even on
  // errors; an error detail missing from a schema would turn into a protocol error.
  it.each(Object.keys(outputSchemas))('%s accepts an error with every detail', (tool) => {
    const schema = outputSchemas[tool as keyof typeof outputSchemas];
    const error = { code: 'QUERY_INVALID', message: 'm', errorName: 'TABLE_NOT_FOUND', queryId: 'q', rule: 'R', retryable: false, ref: 'abc' };
    expect(schema.safeParse(error).success).toBe(true);
    expect(schema.safeParse({ ...error, code: 'NOPE' }).success).toBe(false);
  });
});
