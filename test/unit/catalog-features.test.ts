/**
 * search_tables, resources and completions over fakes: what reaches the engine (patterns
 * escaped, one bounded query per catalog), a slow catalog skipped by name while the others
 * answer (its query cancelled), forged cursors, hostile patterns, and the capabilities the
 * server declares against what it answers.
 */
import 'reflect-metadata';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { SERVED_CAPABILITIES } from '../../src/adapters/mcp/features.ts';
import { parseResourceUri, resourceUri } from '../../src/adapters/mcp/resource-uri.ts';
import { Access } from '../../src/domain/access.ts';
import type { Principal } from '../../src/domain/model.ts';
import type { ObjectRef } from '../../src/domain/policy.ts';
import { globMatch, namePattern } from '../../src/domain/search-pattern.ts';
import type { QueryEngine, QueryEvent, QueryRequest, ResumeRequest } from '../../src/ports/query-engine.ts';
import type { SearchLimits } from '../../src/use-cases/search.ts';
import { FakeQueryPolicy } from '../fakes/fake-query-policy.ts';
import { InMemoryQueryEngine, type FakeOutcome } from '../fakes/in-memory-query-engine.ts';
import { mcpServerOver, unitSettings, useCasesOver } from './support/mcp-server.ts';

const principal: Principal = { subject: 'alice', scopes: [], via: 'test' };
const settings = unitSettings({ maxRows: 50 });

/** The in-memory engine, answering by the first pattern that matches the SQL (the tests care what a query asks, not its spelling). */
class RoutingEngine implements QueryEngine {
  readonly fake = new InMemoryQueryEngine();
  constructor(private readonly routes: Array<[RegExp, FakeOutcome]>) {}
  run(request: QueryRequest, signal: AbortSignal): AsyncIterable<QueryEvent> {
    const route = this.routes.find(([re]) => re.test(request.sql));
    if (route) this.fake.define(request.sql, route[1]);
    return this.fake.run(request, signal);
  }
  resume(request: ResumeRequest, signal: AbortSignal): AsyncIterable<QueryEvent> {
    return this.fake.resume(request, signal);
  }
  cancel(principal: Principal, queryId: string): Promise<void> {
    return this.fake.cancel(principal, queryId);
  }
}

const catalogs = (...names: string[]): FakeOutcome => ({ columns: [{ name: 'Catalog', type: 'varchar' }], rows: names.map((n) => [n]) });
const tables = (...rows: Array<[string, string]>): FakeOutcome => ({
  columns: [
    { name: 'table_schema', type: 'varchar' },
    { name: 'table_name', type: 'varchar' },
  ],
  rows,
});
const noComments: FakeOutcome = { columns: [{ name: 'table_name', type: 'varchar' }, { name: 'comment', type: 'varchar' }], rows: [] };

async function connect(engine: QueryEngine, options: { visible?: (o: ObjectRef) => boolean; searchLimits?: Partial<SearchLimits> } = {}) {
  const policy = new FakeQueryPolicy(options.visible ? { visible: options.visible } : {});
  const useCases = useCasesOver(engine, settings, policy, options.searchLimits ? { searchLimits: options.searchLimits } : {});
  const server = mcpServerOver({ useCases, settings, access: Access.readOnly() }).create({ principal });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'unit', version: '1' });
  await client.connect(clientSide);
  return { client, close: async () => (await client.close(), await server.close()) };
}

describe('search patterns', () => {
  it('escapes LIKE wildcards and the escape character; * and ? are the only wildcards', () => {
    expect(namePattern('a%b_c\\d').like).toBe('%a\\%b\\_c\\\\d%');
    expect(namePattern('Ord*S?').like).toBe('ord%s_');
    expect(namePattern("o'x").like).toBe("%o'x%");
  });

  it('matches a substring case-insensitively, and a glob over the whole name', () => {
    expect(namePattern('ORD').matches('lineitem_orders')).toBe(true);
    expect(namePattern('ord*').matches('lineitem_orders')).toBe(false);
    expect(namePattern('*ord*').matches('lineitem_orders')).toBe(true);
    expect(namePattern('%').matches('orders')).toBe(false);
  });

  it('refuses an empty pattern and one past the bound', () => {
    for (const bad of ['', '   ', 'x'.repeat(129)]) {
      expect(() => namePattern(bad)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });

  it('matches a star-heavy glob in time linear in stars × name (a regex would backtrack exponentially)', () => {
    const pattern = `${'a*'.repeat(60)}b`;
    const name = 'a'.repeat(5000);
    const started = performance.now();
    expect(globMatch(pattern, name)).toBe(false);
    // Generous: the naive backtracking form does not finish at all.
    expect(performance.now() - started).toBeLessThan(1500);
  });
});

describe('search_tables over fakes', () => {
  it('skips a catalog that is too slow, names it, cancels its query and answers from the others', async () => {
    const engine = new RoutingEngine([
      [/^SHOW CATALOGS/, catalogs('slow', 'fast')],
      [/"slow"\."information_schema"/, { hang: true }],
      [/"fast"\."information_schema"\."tables"/, tables(['s', 'orders'])],
      [/table_comments/, noComments],
    ]);
    const h = await connect(engine, { searchLimits: { catalogTimeoutMs: 50 } });
    try {
      const r = await h.client.callTool({ name: 'search_tables', arguments: { pattern: 'ord' } });
      expect(r.structuredContent).toMatchObject({
        matches: [{ catalog: 'fast', schema: 's', table: 'orders' }],
        truncated: true,
        searched: ['fast'],
        skipped: [{ catalog: 'slow', reason: 'slow' }],
      });
      expect((r.content as Array<{ text?: string }>)[0]!.text).toContain('slow (too slow, given up)');
      const hung = engine.fake.calls.findIndex((c) => c.sql.includes('"slow"'));
      expect(engine.fake.cancelled).toContain(`fake_${hung + 1}`);
    } finally {
      await h.close();
    }
  });

  it('sends the pattern escaped and bounded, and drops what the allowlist hides or the pattern does not match', async () => {
    const engine = new RoutingEngine([
      [/^SHOW CATALOGS/, catalogs('c', 'hidden')],
      // A connector that filters loosely: rows the pattern does not match come back too.
      [/"c"\."information_schema"\."tables"/, tables(['s', 'a_%_b'], ['s', 'secret_a_%_b'], ['s', 'nomatch'])],
      [/table_comments/, noComments],
    ]);
    const visible = (o: ObjectRef) => o.catalog !== 'hidden' && !(o.table ?? '').startsWith('secret');
    const h = await connect(engine, { visible });
    try {
      const r = await h.client.callTool({ name: 'search_tables', arguments: { pattern: "_%'" } });
      const search = engine.fake.statements.find((s) => s.includes('information_schema'))!;
      expect(search).toContain(`LIKE '%\\_\\%''%' ESCAPE '\\'`);
      expect(search).toMatch(/LIMIT \d+$/);
      expect(engine.fake.statements.some((s) => s.includes('"hidden"'))).toBe(false);
      expect((r.structuredContent as Record<string, unknown>)['matches']).toEqual([]);
      const r2 = await h.client.callTool({ name: 'search_tables', arguments: { pattern: '_%' } });
      expect(((r2.structuredContent as Record<string, unknown>)['matches'] as Array<{ table: string }>).map((m) => m.table)).toEqual(['a_%_b']);
    } finally {
      await h.close();
    }
  });

  it('refuses an outside catalog by name before any query, and a schema without its catalog', async () => {
    const engine = new RoutingEngine([]);
    const h = await connect(engine, { visible: (o) => o.catalog !== 'hidden' });
    try {
      const r = await h.client.callTool({ name: 'search_tables', arguments: { pattern: 'x', catalog: 'hidden' } });
      expect(r.structuredContent).toMatchObject({ code: 'POLICY_DENIED' });
      const s = await h.client.callTool({ name: 'search_tables', arguments: { pattern: 'x', schema: 's' } });
      expect(s.structuredContent).toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect(engine.fake.calls).toHaveLength(0);
    } finally {
      await h.close();
    }
  });
});

describe('resources and completions over fakes', () => {
  it('declares exactly the capabilities it serves, and answers each', async () => {
    const engine = new RoutingEngine([
      [/^SHOW CATALOGS/, catalogs('c')],
      [/information_schema/, tables(['s', 't'])],
    ]);
    const h = await connect(engine);
    try {
      expect(h.client.getServerCapabilities()).toMatchObject(SERVED_CAPABILITIES);
      for (const kind of ['tools', 'resources', 'prompts'] as const) expect(h.client.getServerCapabilities()?.[kind]).toMatchObject({ listChanged: false });
      expect(h.client.getServerCapabilities()?.resources?.subscribe).toBeFalsy();
      await expect(h.client.listTools()).resolves.toBeDefined();
      await expect(h.client.listResources({ cursor: undefined })).resolves.toBeDefined();
      await expect(h.client.listPrompts()).resolves.toBeDefined();
      await expect(h.client.complete({ ref: { type: 'ref/prompt', name: 'explore_schema' }, argument: { name: 'catalog', value: 'c' } })).resolves.toBeDefined();
    } finally {
      await h.close();
    }
  });

  it('refuses forged cursors as invalid params, and a cursor naming a hidden catalog the same as a missing one', async () => {
    const engine = new RoutingEngine([[/^SHOW CATALOGS/, catalogs('c', 'hidden')]]);
    const h = await connect(engine, { visible: (o) => o.catalog !== 'hidden' });
    try {
      const forged = [
        'x',
        Buffer.from('{"a":1}').toString('base64url'),
        Buffer.from(JSON.stringify(['c', -1])).toString('base64url'),
        Buffer.from(JSON.stringify(['c', 1.5])).toString('base64url'),
        'A'.repeat(5000),
      ];
      for (const cursor of forged) await expect(h.client.listResources({ cursor })).rejects.toThrow(/cursor/i);
      const hidden = await h.client.listResources({ cursor: Buffer.from(JSON.stringify(['hidden', 1])).toString('base64url') }).catch((e: Error) => e.message);
      const missing = await h.client.listResources({ cursor: Buffer.from(JSON.stringify(['nope', 1])).toString('base64url') }).catch((e: Error) => e.message);
      expect(hidden).toBe(missing);
      expect(engine.fake.statements.some((s) => s.includes('"hidden"'))).toBe(false);
    } finally {
      await h.close();
    }
  });

  it('completes with the prefix escaped in SHOW … LIKE, at most 100 values, nothing for an over-long prefix', async () => {
    const many = Array.from({ length: 150 }, (_, i) => `t_${i}`);
    const engine = new RoutingEngine([[/^SHOW TABLES FROM "c"\."s" LIKE 't\\_%' ESCAPE/, catalogs(...many)]]);
    const h = await connect(engine);
    try {
      const ref = { type: 'ref/resource' as const, uri: 'trino://{catalog}/{schema}/{table}' };
      const r = await h.client.complete({ ref, argument: { name: 'table', value: 't_' }, context: { arguments: { catalog: 'c', schema: 's' } } });
      expect(r.completion.values).toHaveLength(100);
      expect(r.completion.hasMore).toBe(true);
      const calls = engine.fake.calls.length;
      const long = await h.client.complete({ ref, argument: { name: 'table', value: 'x'.repeat(200) }, context: { arguments: { catalog: 'c', schema: 's' } } });
      expect(long.completion.values).toEqual([]);
      expect(engine.fake.calls.length).toBe(calls);
      await expect(h.client.complete({ ref: { type: 'ref/resource', uri: 'trino://{nope}' }, argument: { name: 'table', value: '' } })).rejects.toThrow(/not found/i);
    } finally {
      await h.close();
    }
  });
});

describe('resource addresses', () => {
  it('round-trip names with slashes, percent signs, quotes and spaces as one segment each', () => {
    const path = { catalog: 'c/1', schema: 's %2F', table: 't "x" y' };
    expect(parseResourceUri(resourceUri(path))).toEqual(path);
  });

  it('reject anything but the three forms', () => {
    for (const bad of ['trino://', 'trino://a/b/c/d', 'http://a/b/c', 'trino://a//c', 'trino://a/%E0%A4%A', 'trino://a?x=1']) {
      expect(parseResourceUri(bad)).toBeUndefined();
    }
  });
});

