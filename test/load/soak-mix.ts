/**
 * What the soak's clients call: one row per kind of call, picked by weight. A row's `run`
 * makes its call(s) through a session and returns the last result; `expect` names the
 * error code the row is meant to produce (anything else that is an error is unexpected).
 */
import type { McpSession, ToolResult } from '../support/mcp-clients.ts';
import type { Rng } from './prng.ts';

export interface MixRow {
  readonly name: string;
  readonly weight: number;
  readonly run: (session: McpSession, rnd: Rng) => Promise<ToolResult>;
  /** The error code this row provokes on purpose; undefined: it must succeed. */
  readonly expect?: string;
  /**
   * An error the contract allows for this row given how long it took (from before its
   * first call to its answer): counted apart, not as unexpected.
   */
  readonly allowed?: (code: string, elapsedMs: number, settings: { readonly cursorTtlMs: number }) => boolean;
}

const TABLES = ['nation', 'region', 'customer', 'orders', 'lineitem', 'part', 'partsupp', 'supplier'] as const;
const QUERIES = [
  'SELECT count(*) FROM tpch.tiny.nation',
  'SELECT name, regionkey FROM tpch.tiny.nation ORDER BY name',
  // Beyond TRINO_MAX_ROWS: truncated, and the rest of the query is cancelled.
  'SELECT orderkey, totalprice FROM tpch.tiny.orders',
  'SELECT n.name, count(*) AS customers FROM tpch.tiny.customer c JOIN tpch.tiny.nation n ON c.nationkey = n.nationkey GROUP BY n.name',
] as const;

export const SOAK_MIX: readonly MixRow[] = [
  { name: 'list_catalogs', weight: 1, run: (s) => s.callTool('list_catalogs') },
  { name: 'list_schemas', weight: 1, run: (s) => s.callTool('list_schemas', { catalog: 'tpch' }) },
  { name: 'list_tables', weight: 2, run: (s) => s.callTool('list_tables', { catalog: 'tpch', schema: 'tiny' }) },
  { name: 'get_table_schema', weight: 2, run: (s, r) => s.callTool('get_table_schema', { table: `tpch.tiny.${r.pick(TABLES)}` }) },
  { name: 'execute_query', weight: 5, run: (s, r) => s.callTool('execute_query', { sql: r.pick(QUERIES), limit: 1 + r.int(2000) }) },
  { name: 'explain_query', weight: 1, run: (s, r) => s.callTool('explain_query', { sql: r.pick(QUERIES), type: r.pick(['LOGICAL', 'DISTRIBUTED', 'IO']) }) },
  { name: 'search_tables', weight: 2, run: (s, r) => s.callTool('search_tables', { pattern: r.pick(['nation', 'order', 'part']) }) },
  {
    name: 'fetch_more',
    weight: 2,
    // 150 rows in pages of 100: the second page is the last, so each row leaves no cursor open.
    run: async (s) => {
      const first = await s.callTool('execute_query', { sql: 'SELECT orderkey FROM tpch.tiny.orders ORDER BY orderkey LIMIT 150', limit: 100 });
      const cursor = first.structuredContent?.['cursor'];
      return typeof cursor === 'string' ? s.callTool('fetch_more', { cursor }) : first;
    },
    // A cursor's TTL runs from its query's start, across all its pages: under a long slot
    // queue the second page can come after it. Allowed only once the TTL has passed since
    // before the first call (the server cannot have started the query earlier).
    allowed: (code, elapsedMs, { cursorTtlMs }) => code === 'CURSOR_EXPIRED' && elapsedMs >= cursorTtlMs,
  },
  { name: 'execute_query (bad column)', weight: 1, expect: 'QUERY_INVALID', run: (s) => s.callTool('execute_query', { sql: 'SELECT no_such_column FROM tpch.tiny.nation' }) },
];

/** Picks a row by weight. */
export function pickRow(mix: readonly MixRow[], rnd: Rng): MixRow {
  const total = mix.reduce((n, r) => n + r.weight, 0);
  let x = rnd.next() * total;
  for (const row of mix) {
    x -= row.weight;
    if (x < 0) return row;
  }
  return mix.at(-1)!;
}
