import { z } from 'zod';
import { MAX_PATTERN_LENGTH } from '../../domain/search-pattern.ts';
import { DEFAULT_SEARCH_LIMIT, type SearchHit, type SearchResult } from '../../use-cases/search.ts';
import { tableLink } from './resource-uri.ts';
import { catalogArg, outputSchemas, READ_ANNOTATIONS, schemaArg } from './schemas.ts';
import type { ToolEnv, ToolSpec } from './tools.ts';

const REASONS: Record<SearchResult['skipped'][number]['reason'], string> = {
  slow: 'too slow, given up',
  failed: 'failed',
  time: 'not searched, time ran out',
  scan: 'too many candidates, narrow the pattern',
};

function line(h: SearchHit): string {
  const name = `${h.catalog}.${h.schema}.${h.table}${h.column !== undefined ? `.${h.column}\t${h.type ?? ''}` : ''}`;
  return h.comment ? `${name}\t-- ${h.comment.replace(/[\t\r\n]/g, ' ')}` : name;
}

function render(r: SearchResult): string {
  const what = r.kind === 'table' ? 'tables' : 'columns';
  const lines = [`${r.matches.length} matching ${what}${r.truncatedBy === 'rows' ? ' (more exist: raise limit or narrow the pattern)' : ''}${r.truncatedBy === 'bytes' ? ' (the result size limit was reached)' : ''}:`];
  lines.push(...r.matches.map(line));
  if (r.skipped.length > 0) lines.push(`Partial: ${r.skipped.map((s) => `${s.catalog} (${REASONS[s.reason]})`).join(', ')}.`);
  return lines.join('\n');
}

/** search_tables, declared once like every tool. */
export const searchTool: ToolSpec = {
  name: 'search_tables',
  title: 'Search tables and columns',
  access: 'read',
  annotations: READ_ANNOTATIONS,
  description: (env: ToolEnv) =>
    'Finds tables (kind "table", the default) or columns (kind "column") by name across every catalog this server ' +
    'may see, or within `catalog` (and `schema`). `pattern` is a case-insensitive substring ("order" finds ' +
    '"lineitem_orders"), or a glob over the whole name when it has * or ? ("ord*", "*_id"). Each match carries the ' +
    "table's comment (for columns, the column's, for the first 10 tables of each catalog) when Trino has one, and a " +
    'resource link to the table. The search is bounded: at most `limit` ' +
    `matches (default ${DEFAULT_SEARCH_LIMIT}, at most ${env.maxRows}), the result size limit, and ` +
    `${Math.round(env.timeoutMs / 1000)} s in total, with a share per catalog. A catalog that is too slow or fails ` +
    'is skipped and named in `skipped`; then `truncated` is true and the answer is partial. Use get_table_schema on a ' +
    'match for its columns and their comments.',
  input: (env: ToolEnv) =>
    z.object({
      pattern: z.string().min(1).max(MAX_PATTERN_LENGTH).describe('Part of a name, or a glob with * and ?.'),
      catalog: catalogArg.optional().describe('Search only this catalog (default: every catalog).'),
      schema: schemaArg.optional().describe('Search only this schema of `catalog`.'),
      kind: z.enum(['table', 'column']).optional().describe('What to find: table names (default) or column names.'),
      limit: z
        .number()
        .int()
        .min(1)
        .optional()
        .describe(`At most this many matches (default ${DEFAULT_SEARCH_LIMIT}; values above ${env.maxRows} are lowered to ${env.maxRows}).`),
    }),
  output: outputSchemas.search_tables,
  async run(u, args, principal, signal) {
    const r = await u.searchTables.execute(args as never, principal, signal);
    const links = uniqueTables(r.matches).map((t) => tableLink(t));
    return {
      result: { content: [{ type: 'text', text: render(r) }, ...links], structuredContent: { ...r } },
      rows: r.matches.length,
    };
  },
};

function uniqueTables(hits: readonly SearchHit[]): SearchHit[] {
  const seen = new Set<string>();
  return hits.filter((h) => {
    const key = JSON.stringify([h.catalog, h.schema, h.table]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
