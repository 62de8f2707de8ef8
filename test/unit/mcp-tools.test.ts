import 'reflect-metadata';
import { Client } from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport, type CallToolResult } from '@modelcontextprotocol/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { outputSchemas } from '../../src/adapters/mcp/schemas.ts';
import { TrinoMcpServer, type McpSettings } from '../../src/adapters/mcp/trino-mcp-server.ts';
import { Access } from '../../src/domain/access.ts';
import type { Principal } from '../../src/domain/model.ts';
import type { ObjectRef } from '../../src/domain/policy.ts';
import type { QueryEngine } from '../../src/ports/query-engine.ts';
import type { QuerySettings } from '../../src/use-cases/call.ts';
import { QuerySlots } from '../../src/use-cases/query-slots.ts';
import { CapturingLogger } from '../fakes/capturing-logger.ts';
import { FakeQueryPolicy } from '../fakes/fake-query-policy.ts';
import { InMemoryQueryEngine } from '../fakes/in-memory-query-engine.ts';
import { mcpServerOver, useCasesOver, unitSettings } from './support/mcp-server.ts';
import { noPages } from '../fakes/no-pages.ts';

const TOOLS = ['execute_query', 'explain_query', 'fetch_more', 'get_table_schema', 'list_catalogs', 'list_schemas', 'list_tables', 'search_tables'];
const principal: Principal = { subject: 'alice@example.com', scopes: [], via: 'test' };
const settings: QuerySettings = unitSettings();
const mcpSettings: McpSettings = {
  maxRows: settings.maxRows,
  maxResultBytes: settings.maxResultBytes,
  maxValueBytes: settings.maxValueBytes,
  timeoutMs: settings.timeoutMs,
  markUntrusted: false,
  cursorTtlMs: 300_000,
  confirmation: { mode: 'none', stateKey: new Uint8Array(32) },
  progressIntervalMs: 5_000,
  name: 'trino-mcp',
  version: '0.0.0-test',
};
const WRITE_SCOPE = 'trino:write';

/** An engine whose every query fails with a non-domain error, as a bug would. */
const explodingEngine: QueryEngine = {
  ...noPages,
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

interface StartOptions {
  brokenCatalogs?: boolean;
  /** Access: TRINO_ALLOW_WRITE_QUERIES; false unless told. */
  allowWrites?: boolean;
  /** With OAUTH_WRITE_SCOPE set: whether the caller's token holds it; no write scope at all unless told. */
  writeTools?: boolean;
  visible?: (object: ObjectRef) => boolean;
  /** The query slots the use-cases share; roomy unless told. */
  slots?: QuerySlots;
}

/** The MCP edge over the fake engine and policy, built as the container builds it. */
function serversFor(engine: InMemoryQueryEngine, policy: FakeQueryPolicy, log: CapturingLogger, options: StartOptions = {}): TrinoMcpServer {
  const access = new Access({
    allowWrites: options.allowWrites ?? false,
    requiredScopes: [],
    writeScope: options.writeTools === undefined ? undefined : WRITE_SCOPE,
  });
  const useCases = useCasesOver(engine, settings, policy, {
    ...(options.slots ? { slots: options.slots } : {}),
    ...(options.brokenCatalogs ? { catalogsEngine: explodingEngine } : {}),
  });
  return mcpServerOver({ useCases, settings, access, log });
}

async function start(options: StartOptions = {}): Promise<Harness> {
  const engine = new InMemoryQueryEngine();
  const policy = new FakeQueryPolicy({ deny: ['DELETE FROM t'], ...(options.visible ? { visible: options.visible } : {}) });
  const log = new CapturingLogger();
  const servers = serversFor(engine, policy, log, options);
  const caller = options.writeTools ? { ...principal, scopes: [WRITE_SCOPE] } : principal;
  const server = servers.create({ principal: caller });
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

  it('lists exactly the seven tools, all read-only', async () => {
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

  it.each(TOOLS)('keeps the public surface of %s stable: title, description, annotations, schemas', async (name) => {
    const { tools } = await h.client.listTools();
    const tool = tools.find((t) => t.name === name)!;
    const { title, description, annotations, inputSchema, outputSchema } = tool;
    expect({ title, description, annotations, inputSchema, outputSchema }).toMatchSnapshot();
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
    expect(result.content).toEqual([{ type: 'text', text: 'x (integer),x (integer),y (integer)\n1,2,3\n(1 row)' }]);
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

  it('execute_query asks the policy in read mode', async () => {
    h.engine.define('SELECT 1', { columns: columnsOf(['x']), rows: [['1']] });
    await h.call('execute_query', { sql: 'SELECT 1;' });
    expect(h.policy.calls).toEqual([{ sql: 'SELECT 1', mode: 'read' }]);
    expect(h.policy.principals).toEqual([principal]);
  });

  it('has no execute_statement: calling it runs nothing', async () => {
    const outcome = await h.call('execute_statement', { sql: 'INSERT INTO t VALUES (1)' }).then(
      (result) => ({ isError: result.isError }),
      (err: unknown) => ({ rejected: String(err) }),
    );
    expect(outcome).not.toEqual({ isError: false });
    expect(outcome).not.toEqual({ isError: undefined });
    expect(h.policy.calls).toEqual([]);
    expect(h.engine.calls).toEqual([]);
  });

  it('describes execute_query and the server without pointing at execute_statement', async () => {
    const { tools } = await h.client.listTools();
    expect(tools.find((t) => t.name === 'execute_query')!.description).not.toContain('execute_statement');
    expect(h.client.getInstructions()).toContain('read-only');
    expect(h.client.getInstructions()).not.toContain('execute_statement');
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
    expect(h.policy.calls).toEqual([{ sql: 'EXPLAIN (TYPE IO) SELECT 1', mode: 'read' }]);
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
    const answered = await h.call('execute_query', { sql: 'SELECT 1' });
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
    // The bytes are those of what the client received: each text as text, structuredContent as JSON.
    const texts = (answered.content as Array<{ type: string; text: string }>).map((c) => Buffer.byteLength(c.text));
    expect(texts.length).toBeGreaterThan(0);
    expect(entries[0]!.fields['bytes']).toBe(Buffer.byteLength(JSON.stringify(answered.structuredContent)) + texts.reduce((a, b) => a + b, 0));
    for (const e of entries.slice(1)) expect(e.fields['bytes']).toBeGreaterThan(0);
  });
});

describe('TrinoMcpServer with writes enabled (TRINO_ALLOW_WRITE_QUERIES)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await start({ allowWrites: true });
  });
  afterEach(async () => {
    await h.close();
  });

  it('lists execute_statement as destructive next to the seven read-only tools', async () => {
    const { tools } = await h.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...TOOLS, 'execute_statement'].sort());
    for (const tool of tools) {
      const write = tool.name === 'execute_statement';
      expect(tool.annotations?.readOnlyHint, tool.name).toBe(!write);
      expect(tool.annotations?.destructiveHint, tool.name).toBe(write);
      expect(tool.title, tool.name).toBeTruthy();
      expect(tool.description, tool.name).toBeTruthy();
      expect(tool.outputSchema, tool.name).toBeDefined();
    }
    const statement = tools.find((t) => t.name === 'execute_statement')!;
    expect(statement.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true, idempotentHint: false });
    expect(tools.find((t) => t.name === 'execute_query')!.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });
  });

  it('gives execute_statement the input and output schema of execute_query', async () => {
    const { tools } = await h.client.listTools();
    const query = tools.find((t) => t.name === 'execute_query')!;
    const statement = tools.find((t) => t.name === 'execute_statement')!;
    expect(statement.inputSchema).toEqual(query.inputSchema);
    expect(statement.outputSchema).toEqual(query.outputSchema);
    const { title, description, annotations, inputSchema, outputSchema } = statement;
    expect({ title, description, annotations, inputSchema, outputSchema }).toMatchSnapshot();
  });

  it('keeps the schemas of the read-only tools as they are without writes', async () => {
    const readOnly = await start();
    try {
      const withWrites = (await h.client.listTools()).tools.filter((t) => t.name !== 'execute_statement');
      const without = (await readOnly.client.listTools()).tools;
      const shape = (tools: typeof without) =>
        Object.fromEntries(tools.map((t) => [t.name, { inputSchema: t.inputSchema, outputSchema: t.outputSchema, annotations: t.annotations }]));
      expect(shape(withWrites)).toEqual(shape(without));
    } finally {
      await readOnly.close();
    }
  });

  it('states the row cap and the timeout in the execute_statement description, and points reads elsewhere', async () => {
    const { tools } = await h.client.listTools();
    const description = tools.find((t) => t.name === 'execute_statement')!.description!;
    expect(description).toContain('At most 3 rows');
    expect(description).toContain('5 s');
    expect(description).toContain('execute_query');
    expect(tools.find((t) => t.name === 'execute_query')!.description).toContain('execute_statement');
    expect(h.client.getInstructions()).toContain('execute_statement');
  });

  it('execute_statement runs through the policy in write mode, then the engine', async () => {
    h.engine.define('INSERT INTO t VALUES (1)', { columns: [{ name: 'rows', type: 'bigint' }], rows: [[1]] });
    const result = await h.call('execute_statement', { sql: 'INSERT INTO t VALUES (1);' });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual({
      columns: [{ name: 'rows', type: 'bigint' }],
      rows: [[1]],
      rowCount: 1,
      truncated: false,
      queryId: 'fake_1',
    });
    expect(h.policy.calls).toEqual([{ sql: 'INSERT INTO t VALUES (1)', mode: 'write' }]);
    expect(h.policy.principals).toEqual([principal]);
    expect(h.engine.statements).toEqual(['INSERT INTO t VALUES (1)']);
    expect(h.log.withMessage('tool call').map((e) => e.fields)).toEqual([
      expect.objectContaining({ tool: 'execute_statement', user: principal.subject, outcome: 'ok', rows: 1, queryId: 'fake_1' }),
    ]);
  });

  it('execute_statement truncates at the cap and honours a lower limit', async () => {
    h.engine.define('SELECT n', { columns: columnsOf(['n']), rows: [['1'], ['2'], ['3'], ['4']] });
    expect((await h.call('execute_statement', { sql: 'SELECT n' })).structuredContent).toMatchObject({ rowCount: 3, truncated: true });
    expect((await h.call('execute_statement', { sql: 'SELECT n', limit: 1 })).structuredContent).toMatchObject({ rows: [['1']], truncated: true });
  });

  it('execute_statement reports a policy denial as POLICY_DENIED and never runs the statement', async () => {
    const result = await h.call('execute_statement', { sql: 'DELETE FROM t' });
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({ code: 'POLICY_DENIED', rule: 'READ_ONLY' });
    expect(h.policy.calls).toEqual([{ sql: 'DELETE FROM t', mode: 'write' }]);
    expect(h.engine.calls).toEqual([]);
  });

  it('execute_query still asks the policy in read mode', async () => {
    await h.call('execute_query', { sql: 'DELETE FROM t' });
    expect(h.policy.calls).toEqual([{ sql: 'DELETE FROM t', mode: 'read' }]);
  });

  it('execute_statement rejects arguments that do not match the input schema without running anything', async () => {
    const result = await h.call('execute_statement', { sql: '' });
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(h.policy.calls).toEqual([]);
    expect(h.engine.calls).toEqual([]);
  });
});

describe('TrinoMcpServer.create offers what the caller may call (Access, OAUTH_WRITE_SCOPE)', () => {
  it('hides execute_statement from a caller without the write scope even when writes are allowed', async () => {
    const h = await start({ allowWrites: true, writeTools: false });
    try {
      const { tools } = await h.client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(TOOLS);
      for (const tool of tools) expect(tool.annotations?.readOnlyHint, tool.name).toBe(true);
      expect(tools.find((t) => t.name === 'execute_query')!.description).not.toContain('execute_statement');
      expect(h.client.getInstructions()).not.toContain('execute_statement');
      const outcome = await h.call('execute_statement', { sql: 'INSERT INTO t VALUES (1)' }).then(
        (result) => result.isError === true,
        () => true,
      );
      expect(outcome).toBe(true);
      expect(h.policy.calls).toEqual([]);
      expect(h.engine.calls).toEqual([]);
    } finally {
      await h.close();
    }
  });

  it('offers execute_statement to a caller with the write scope when writes are allowed', async () => {
    const h = await start({ allowWrites: true, writeTools: true });
    try {
      expect((await h.client.listTools()).tools.map((t) => t.name)).toContain('execute_statement');
    } finally {
      await h.close();
    }
  });

  it('cannot offer execute_statement to a caller with the write scope when writes are disabled', async () => {
    const h = await start({ allowWrites: false, writeTools: true });
    try {
      expect((await h.client.listTools()).tools.map((t) => t.name).sort()).toEqual(TOOLS);
    } finally {
      await h.close();
    }
  });
});

describe('TrinoMcpServer under an allowlist', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await start({ visible: (o) => o.catalog === 'memory' && o.schema !== 'hr' });
  });
  afterEach(async () => {
    await h.close();
  });

  it('list_catalogs, list_schemas and list_tables show only visible names', async () => {
    h.engine
      .define('SHOW CATALOGS', { columns: columnsOf(['Catalog']), rows: [['hive'], ['memory'], ['system']] })
      .define('SHOW SCHEMAS FROM "memory"', { columns: columnsOf(['Schema']), rows: [['default'], ['hr']] })
      .define('SHOW TABLES FROM "memory"."default"', { columns: columnsOf(['Table']), rows: [['t']] });
    expect((await h.call('list_catalogs')).structuredContent).toEqual({ catalogs: ['memory'], truncated: false });
    expect((await h.call('list_schemas')).structuredContent).toEqual({ catalog: 'memory', schemas: ['default'], truncated: false });
    expect((await h.call('list_tables')).structuredContent).toEqual({ catalog: 'memory', schema: 'default', tables: ['t'], truncated: false });
  });

  it.each([
    ['list_schemas', { catalog: 'hive' }],
    ['list_tables', { schema: 'hr' }],
    ['get_table_schema', { table: 'hr.salaries' }],
  ])('%s refuses an object outside the allowlist with POLICY_DENIED (ALLOWLIST)', async (tool, args) => {
    const result = await h.call(tool, args);
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({ code: 'POLICY_DENIED', rule: 'ALLOWLIST' });
    expect(h.engine.calls).toEqual([]);
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

describe('TrinoMcpServer with every query slot taken', () => {
  it('answers a call beyond the caller’s slots with a BUSY tool error, retryable, and runs nothing for it', async () => {
    const slots = new QuerySlots({ maxConcurrent: 10, maxConcurrentPerUser: 1, maxQueued: 0, queueTimeoutMs: 0 });
    const h = await start({ slots });
    try {
      h.engine.define('SELECT sleep', { hang: true });
      const abort = new AbortController();
      const holder = h.call('execute_query', { sql: 'SELECT sleep' }, abort.signal).catch(() => undefined);
      await waitUntil(() => h.engine.isRunning('fake_1'));
      const r = await h.call('list_catalogs');
      expect(r.isError).toBe(true);
      expect(r.structuredContent).toMatchObject({ code: 'BUSY', retryable: true });
      expect(outputSchemas.list_catalogs.safeParse(r.structuredContent).success).toBe(true);
      expect(h.engine.statements).toEqual(['SELECT sleep']);
      abort.abort();
      await holder;
      await waitUntil(() => slots.usage.running === 0);
      expect(h.log.withMessage('tool call').map((e) => e.fields['outcome'])).toContain('BUSY');
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
    const server = serversFor(engine, policy, new CapturingLogger()).create({ principal });
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
    const error = { code: 'QUERY_INVALID', message: 'm', errorName: 'TABLE_NOT_FOUND', queryId: 'q', rule: 'ALLOWLIST', retryable: false, ref: 'abc' };
    expect(schema.safeParse(error).success).toBe(true);
    expect(schema.safeParse({ ...error, code: 'NOPE' }).success).toBe(false);
    expect(schema.safeParse({ ...error, rule: 'NOPE' }).success).toBe(false);
  });
});

describe('arguments the input schema rejects', () => {
  it('come back as a tool error with code INVALID_ARGUMENT, before anything runs', async () => {
    const h = await start();
    try {
      for (const args of [{ sql: '' }, { limit: 'ten' }, { sql: 'SELECT 1', limit: 0 }]) {
        const r = await h.call('execute_query', args);
        expect(r.isError).toBe(true);
        expect(r.structuredContent).toMatchObject({ code: 'INVALID_ARGUMENT' });
        expect(String((r.structuredContent as Record<string, unknown> | undefined)?.['message'])).toContain('execute_query');
      }
      expect(h.engine.calls).toHaveLength(0);
      expect(h.policy.calls).toHaveLength(0);
    } finally {
      await h.close();
    }
  });
});
