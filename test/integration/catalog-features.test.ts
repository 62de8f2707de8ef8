/**
 * search_tables, comments, samples and statistics, resources, completions and prompts, on
 * real Trino with clients of both generations. Comments are real: the memory connector
 * keeps COMMENT on tables and columns, and Trino reports them (system.metadata.table_comments,
 * DESCRIBE). Under an allowlist nothing outside it is found, listed, read or completed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectStdio, GENERATIONS, type Generation, type McpSession } from '../support/mcp-clients.ts';
import { serverEnv } from '../support/processes.ts';
import { trinoQuery, uniqueName } from '../support/trino-sql.ts';

const S = uniqueName('lake');
const M = `memory.${S}`;
// A fragment that exists only in this run's names, so a search across every catalog finds exactly ours.
const TAG = S.slice(-10);
const ORDERS = `orders_${TAG}`;
const SECRET = `secret_${TAG}`;
const COLUMN = `priority_${TAG}`;
const VIEW = `orders_view_${TAG}`;

const sessions = new Map<string, McpSession>();
async function session(generation: Generation, env: Record<string, string> = {}): Promise<McpSession> {
  const key = `${generation}|${JSON.stringify(env)}`;
  let s = sessions.get(key);
  if (!s) {
    s = await connectStdio(generation, serverEnv(env));
    sessions.set(key, s);
  }
  return s;
}
const ALLOWLIST = { TRINO_ALLOWED_TABLES: `${M}.orders_*,tpch.tiny.*` };

beforeAll(async () => {
  await trinoQuery(`CREATE SCHEMA ${M}`);
  await trinoQuery(
    `CREATE TABLE ${M}.${ORDERS} (id bigint COMMENT 'Order number', ${COLUMN} varchar COMMENT 'How urgent | shipping is') COMMENT 'Orders placed by customers'`,
  );
  await trinoQuery(`INSERT INTO ${M}.${ORDERS} VALUES (1, 'high'), (2, 'low')`);
  await trinoQuery(`CREATE TABLE ${M}.${SECRET} (id bigint, ${COLUMN} varchar) COMMENT 'Not for you'`);
  await trinoQuery(`INSERT INTO ${M}.${SECRET} VALUES (42, 'hidden')`);
  await trinoQuery(`CREATE VIEW ${M}.${VIEW} AS SELECT * FROM ${M}.${SECRET}`);
});
afterAll(async () => {
  for (const s of sessions.values()) await s.close();
  await trinoQuery(`DROP VIEW IF EXISTS ${M}.${VIEW}`);
  for (const t of [ORDERS, SECRET]) await trinoQuery(`DROP TABLE IF EXISTS ${M}.${t}`);
  await trinoQuery(`DROP SCHEMA IF EXISTS ${M}`);
});

type Hit = { catalog: string; schema: string; table: string; column?: string; comment?: string };
const matches = (r: { structuredContent?: Record<string, unknown> }) => (r.structuredContent?.['matches'] ?? []) as Hit[];

describe.each(GENERATIONS)('%s: search_tables', (generation) => {
  it('finds a table by a fragment of its name, with its comment and a resource link, across every catalog', async () => {
    const mcp = await session(generation);
    const r = await mcp.callTool('search_tables', { pattern: TAG.toUpperCase() });
    expect(r.isError, JSON.stringify(r.structuredContent)).toBeFalsy();
    expect(matches(r).map((h) => h.table).sort()).toEqual([ORDERS, VIEW, SECRET].sort());
    expect(matches(r).find((h) => h.table === ORDERS)).toEqual({ catalog: 'memory', schema: S, table: ORDERS, comment: 'Orders placed by customers' });
    expect(r.content.map((c) => (c as { uri?: string }).uri)).toContain(`trino://memory/${S}/${ORDERS}`);
    expect(r.structuredContent?.['searched']).toEqual(expect.arrayContaining(['memory', 'tpch', 'system']));
  });

  it('finds columns by name, and globs match the whole name', async () => {
    const mcp = await session(generation);
    const r = await mcp.callTool('search_tables', { pattern: COLUMN, kind: 'column', catalog: 'memory' });
    expect(matches(r).map((h) => `${h.table}.${h.column}`).sort()).toEqual([ORDERS, SECRET, VIEW].map((t) => `${t}.${COLUMN}`).sort());
    expect(matches(r).find((h) => h.table === ORDERS)?.comment).toBe('How urgent | shipping is');
    expect(matches(r).find((h) => h.table === SECRET)?.comment).toBeUndefined();
    const glob = await mcp.callTool('search_tables', { pattern: `ord*${TAG}`, catalog: 'memory', schema: S });
    expect(matches(glob).map((h) => h.table).sort()).toEqual([ORDERS, VIEW].sort());
    // A glob is anchored: the fragment alone as a glob matches no whole name.
    expect(matches(await mcp.callTool('search_tables', { pattern: `ord?${TAG}`, catalog: 'memory' }))).toEqual([]);
  });

  it('takes LIKE wildcards literally and refuses a pattern past its bound', async () => {
    const mcp = await session(generation);
    // Unescaped, "%" and "_" would match every table of the catalog.
    expect(matches(await mcp.callTool('search_tables', { pattern: '%', catalog: 'tpch' }))).toEqual([]);
    expect(matches(await mcp.callTool('search_tables', { pattern: `${TAG.slice(0, 3)}_${TAG.slice(4)}`, catalog: 'memory' }))).toEqual([]);
    const long = await mcp.callTool('search_tables', { pattern: 'a'.repeat(129) });
    expect(long.structuredContent?.['code']).toBe('INVALID_ARGUMENT');
  });

  it('stops at the limit and says so', async () => {
    const mcp = await session(generation);
    const r = await mcp.callTool('search_tables', { pattern: 'n', catalog: 'tpch', limit: 3 });
    expect(matches(r)).toHaveLength(3);
    expect(r.structuredContent).toMatchObject({ truncated: true, truncatedBy: 'rows' });
  });

  it('finds nothing outside the allowlist, by name, by column or by a glob that matches everything', async () => {
    const mcp = await session(generation, ALLOWLIST);
    expect(matches(await mcp.callTool('search_tables', { pattern: TAG })).map((h) => h.table).sort()).toEqual([ORDERS, VIEW].sort());
    expect(matches(await mcp.callTool('search_tables', { pattern: 'secret' }))).toEqual([]);
    const columns = matches(await mcp.callTool('search_tables', { pattern: COLUMN, kind: 'column' }));
    expect(columns.map((h) => h.table).sort()).toEqual([ORDERS, VIEW].sort());
    const everything = matches(await mcp.callTool('search_tables', { pattern: '*', limit: 1000 }));
    expect(everything.length).toBeGreaterThan(0);
    expect(everything.every((h) => (h.catalog === 'tpch' && h.schema === 'tiny') || h.table === ORDERS || h.table === VIEW)).toBe(true);
    expect((await mcp.callTool('search_tables', { pattern: 'a', catalog: 'system' })).structuredContent).toMatchObject({ code: 'POLICY_DENIED' });
  });
});

describe.each(GENERATIONS)('%s: get_table_schema with comments, sample and stats', (generation) => {
  it('returns the table and column comments, sample rows and SHOW STATS', async () => {
    const mcp = await session(generation);
    const r = await mcp.callTool('get_table_schema', { table: `${M}.${ORDERS}`, include: ['sample', 'stats'] });
    expect(r.isError, JSON.stringify(r.structuredContent)).toBeFalsy();
    const s = r.structuredContent!;
    expect(s['comment']).toBe('Orders placed by customers');
    expect(s['columns']).toEqual([
      { name: 'id', type: 'bigint', comment: 'Order number' },
      { name: COLUMN, type: 'varchar', comment: 'How urgent | shipping is' },
    ]);
    expect((s['sample'] as { rows: unknown[][] }).rows.sort()).toEqual([[1, 'high'], [2, 'low']]);
    const stats = s['stats'] as { columns: Array<{ name: string }>; rows: unknown[][] };
    expect(stats.columns.map((c) => c.name)).toContain('distinct_values_count');
    expect(stats.rows.map((row) => row[0])).toEqual(['id', COLUMN, null]);
    expect(r.content.some((c) => (c as { uri?: string }).uri === `trino://memory/${S}/${ORDERS}`)).toBe(true);
  });

  it('keeps the sample within the byte budget', async () => {
    const mcp = await session(generation, { TRINO_MAX_RESULT_BYTES: '3000' });
    const r = await mcp.callTool('get_table_schema', { table: 'tpch.tiny.customer', include: ['sample'] });
    expect(r.isError, JSON.stringify(r.structuredContent)).toBeFalsy();
    const sample = r.structuredContent!['sample'] as { rows: unknown[]; truncated: boolean; truncatedBy?: string };
    expect(sample).toMatchObject({ truncated: true, truncatedBy: 'bytes' });
    expect(sample.rows.length).toBeGreaterThan(0);
    expect(sample.rows.length).toBeLessThan(10);
    // Both renderings together within the budget (the resource link's few bytes aside).
    expect(Buffer.byteLength(JSON.stringify(r.structuredContent)) + Buffer.byteLength(r.content[0]?.text ?? '')).toBeLessThanOrEqual(3000);
  });

  it('gives no sample of a table outside the allowlist, nor of an allowed view over one', async () => {
    const mcp = await session(generation, ALLOWLIST);
    const r = await mcp.callTool('get_table_schema', { table: `${M}.${SECRET}`, include: ['sample'] });
    expect(r.structuredContent).toMatchObject({ code: 'POLICY_DENIED' });
    // The view's name is allowed and so are its columns; its rows come from the secret table.
    const described = await mcp.callTool('get_table_schema', { table: `${M}.${VIEW}` });
    expect(described.isError, JSON.stringify(described.structuredContent)).toBeFalsy();
    const sampled = await mcp.callTool('get_table_schema', { table: `${M}.${VIEW}`, include: ['sample'] });
    expect(sampled.structuredContent).toMatchObject({ code: 'POLICY_DENIED', rule: 'ALLOWLIST' });
    expect(JSON.stringify(sampled)).not.toContain('hidden');
  });
});

describe.each(GENERATIONS)('%s: resources, templates, completions and prompts', (generation) => {
  it('declares exactly what it serves', async () => {
    const mcp = await session(generation);
    expect(mcp.serverCapabilities()).toMatchObject({
      tools: { listChanged: false },
      resources: { listChanged: false },
      prompts: { listChanged: false },
      completions: {},
    });
  });

  it('pages through every object; a table is a resource with its schema and comments as JSON and markdown', async () => {
    const mcp = await session(generation);
    const uris: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await mcp.listResources(cursor);
      uris.push(...page.resources.map((r) => r.uri));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 50);
    expect(cursor).toBeUndefined();
    // A page holds at most 100 objects: more than that came in pages (the v2 client walks them itself).
    expect(uris.length).toBeGreaterThan(100);
    if (generation === 'v1 client (@modelcontextprotocol/sdk)') expect(pages).toBeGreaterThan(1);
    expect(new Set(uris).size).toBe(uris.length);
    expect(uris).toEqual(expect.arrayContaining(['trino://memory', `trino://memory/${S}`, `trino://memory/${S}/${ORDERS}`, 'trino://tpch/tiny/nation']));
    const read = await mcp.readResource(`trino://memory/${S}/${ORDERS}`);
    const json = JSON.parse(read.contents.find((c) => c.mimeType === 'application/json')!.text!) as Record<string, unknown>;
    expect(json).toMatchObject({ catalog: 'memory', schema: S, table: ORDERS, comment: 'Orders placed by customers' });
    const markdown = read.contents.find((c) => c.mimeType === 'text/markdown')!.text!;
    expect(markdown).toContain('| id | bigint | Order number |');
    expect(markdown).toContain('How urgent \\| shipping is');
    const schema = JSON.parse((await mcp.readResource(`trino://memory/${S}`)).contents[0]!.text!) as { tables: Array<{ uri: string }> };
    expect(schema.tables.map((t) => t.uri).sort()).toEqual([ORDERS, SECRET, VIEW].map((t) => `trino://memory/${S}/${t}`).sort());
  });

  it('refuses a forged cursor and an address of nothing', async () => {
    const mcp = await session(generation);
    await expect(mcp.listResources('not-a-cursor')).rejects.toThrow(/cursor/i);
    await expect(mcp.listResources(Buffer.from(JSON.stringify(['no_such_catalog', 3])).toString('base64url'))).rejects.toThrow(/catalog/i);
    await expect(mcp.readResource(`trino://memory/${S}/no_such_table`)).rejects.toThrow(/not found/i);
  });

  it('offers the templates and completes catalog, schema and table names by prefix', async () => {
    const mcp = await session(generation);
    expect((await mcp.listResourceTemplates()).map((t) => t.uriTemplate).sort()).toEqual([
      'trino://{catalog}',
      'trino://{catalog}/{schema}',
      'trino://{catalog}/{schema}/{table}',
    ]);
    const ref = { type: 'ref/resource' as const, uri: 'trino://{catalog}/{schema}/{table}' };
    expect((await mcp.complete(ref, { name: 'catalog', value: 'tp' })).values).toEqual(['tpch']);
    const sf1 = (await trinoQuery(`SHOW SCHEMAS FROM tpch LIKE 'sf1%'`)).map((r) => String(r[0])).sort();
    expect(sf1.length).toBeGreaterThan(1);
    expect((await mcp.complete(ref, { name: 'schema', value: 'SF1' }, { catalog: 'tpch' })).values.sort()).toEqual(sf1);
    expect((await mcp.complete(ref, { name: 'table', value: 'ord' }, { catalog: 'memory', schema: S })).values.sort()).toEqual([ORDERS, VIEW].sort());
    const prompt = { type: 'ref/prompt' as const, name: 'query_table' };
    expect((await mcp.complete(prompt, { name: 'table', value: 'sec' }, { catalog: 'memory', schema: S })).values).toEqual([SECRET]);
  });

  it('completes nothing outside the allowlist, and reads none of it', async () => {
    const mcp = await session(generation, ALLOWLIST);
    const ref = { type: 'ref/resource' as const, uri: 'trino://{catalog}/{schema}/{table}' };
    expect((await mcp.complete(ref, { name: 'catalog', value: '' })).values.sort()).toEqual(['memory', 'tpch']);
    expect((await mcp.complete(ref, { name: 'table', value: '' }, { catalog: 'memory', schema: S })).values.sort()).toEqual([ORDERS, VIEW].sort());
    expect((await mcp.complete(ref, { name: 'schema', value: '' }, { catalog: 'tpch' })).values).toEqual(['tiny']);
    await expect(mcp.readResource(`trino://memory/${S}/${SECRET}`)).rejects.toThrow(/not found/i);
    const uris: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await mcp.listResources(cursor);
      uris.push(...page.resources.map((r) => r.uri));
      cursor = page.nextCursor;
    } while (cursor);
    expect(uris).toContain(`trino://memory/${S}/${ORDERS}`);
    expect(uris.filter((u) => u.includes(SECRET) || u.startsWith('trino://system') || u.startsWith('trino://tpch/sf'))).toEqual([]);
  });

  it('offers prompts whose arguments complete', async () => {
    const mcp = await session(generation);
    const prompts = await mcp.listPrompts();
    expect(prompts.map((p) => p.name).sort()).toEqual(['explore_schema', 'query_table']);
    const got = await mcp.getPrompt('query_table', { catalog: 'memory', schema: S, table: ORDERS, question: 'How many orders?' });
    expect(got.messages[0]?.content.text).toContain(`memory.${S}.${ORDERS}`);
    const explore = { type: 'ref/prompt' as const, name: 'explore_schema' };
    expect((await mcp.complete(explore, { name: 'schema', value: S.slice(0, 8) }, { catalog: 'memory' })).values).toContain(S);
  });
});
