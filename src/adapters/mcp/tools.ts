import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { ToolAccess } from '../../domain/access.ts';
import { EXPLAIN_TYPES, type Principal, type Truncation } from '../../domain/model.ts';
import type { ListCatalogs, ListSchemas, ListTables, NameList } from '../../use-cases/catalog.ts';
import type { SearchTables } from '../../use-cases/search.ts';
import type { BrowseObjects, CompleteNames } from '../../use-cases/browse.ts';
import { TABLE_EXTRAS, type DescribeTableDetailed } from '../../use-cases/table-details.ts';
import type { ExecuteQuery, ExecuteStatement, ExplainQuery, FetchMore } from '../../use-cases/statements.ts';
import { fetchMoreTool } from './page-tools.ts';
import { limitArg, tabular } from './tabular.ts';
import type { QueryProgress } from '../../ports/query-engine.ts';
import { singleValueLimit, truncationMarker } from '../../use-cases/result-budget.ts';
import { renderList, renderTable, type RenderLimits } from './render.ts';
import { tableLink } from './resource-uri.ts';
import { searchTool } from './search-tool.ts';
import { renderExtras } from './table-text.ts';
import { catalogArg, formatArg, outputSchemas, READ_ANNOTATIONS, schemaArg, sqlArg, WRITE_ANNOTATIONS } from './schemas.ts';

/** The use-cases the tools run. */
export interface UseCases {
  readonly listCatalogs: ListCatalogs;
  readonly listSchemas: ListSchemas;
  readonly listTables: ListTables;
  readonly describeTable: DescribeTableDetailed;
  readonly searchTables: SearchTables;
  readonly browseObjects: BrowseObjects;
  readonly completeNames: CompleteNames;
  readonly executeQuery: ExecuteQuery;
  readonly executeStatement: ExecuteStatement;
  readonly explainQuery: ExplainQuery;
  readonly fetchMore: FetchMore;
}
export const UseCases = Symbol.for('UseCases');

/** What a tool's description and schema may depend on: the limits, and whether this caller may write. */
export interface ToolEnv {
  readonly maxRows: number;
  /** TRINO_MAX_RESULT_BYTES and TRINO_MAX_VALUE_BYTES, as the descriptions and footers state them. */
  readonly maxResultBytes: number;
  readonly maxValueBytes: number;
  readonly timeoutMs: number;
  readonly canWrite: boolean;
  /** TRINO_MARK_UNTRUSTED: result values are fenced as data in the text. */
  readonly markUntrusted: boolean;
  /** TRINO_CURSOR_TTL, in ms. */
  readonly cursorTtlMs: number;
}

/** A tool's answer, with what the audit log line records. */
export interface ToolAnswer {
  readonly result: CallToolResult;
  readonly queryId?: string | undefined;
  readonly rows?: number | undefined;
}

/** One tool, declared once: the MCP edge registers it, the HTTP edge gates its scopes, tools/list filters on `access`. */
export interface ToolSpec<S extends z.ZodObject = z.ZodObject> {
  readonly name: string;
  readonly title: string;
  /** Whether it reads or writes: decides who is offered it and which scopes it needs (Access). */
  readonly access: ToolAccess;
  readonly annotations: ToolAnnotations;
  description(env: ToolEnv): string;
  input(env: ToolEnv): S;
  readonly output: z.ZodObject;
  // Method syntax on purpose: it lets a ToolSpec of specific arguments stand in the table of all tools.
  // `onProgress` is set when the client asked for progress: long-running tools pass it to the use-case.
  run(useCases: UseCases, args: z.infer<S>, principal: Principal, signal: AbortSignal, env: ToolEnv, onProgress?: (p: QueryProgress) => void): Promise<ToolAnswer>;
}

function tool<S extends z.ZodObject>(spec: ToolSpec<S>): ToolSpec {
  return spec;
}

function limitsText(env: ToolEnv): string {
  return (
    `At most ${env.maxRows} rows (\`limit\` may lower this) and ${env.maxResultBytes} bytes are returned; the bytes count ` +
    `the JSON of the columns and rows, once for structuredContent and once for the text. When more exist, \`truncated\` ` +
    `is true, \`truncatedBy\` says which limit was hit ("rows" or "bytes") and the query is cancelled, so prefer ` +
    `aggregations and LIMIT. ${valueLimitText(env, 'rows')} Statements running longer than ` +
    `${Math.round(env.timeoutMs / 1000)} s are cancelled with TIMEOUT.`
  );
}

/** The per-value limit, as the model must know it to recognise a cut value. */
function valueLimitText(env: ToolEnv, of: 'rows' | 'columns'): string {
  const cut = `"${truncationMarker(env.maxValueBytes)}" in the text and in structuredContent alike`;
  return of === 'rows'
    ? `A value whose JSON is longer than ${env.maxValueBytes} bytes is cut: it ends with ${cut} (an array, map or row ` +
        'then becomes a string, the start of its JSON), and `truncatedValues` counts such values.'
    : `A name, type or comment longer than ${env.maxValueBytes} bytes is cut: it ends with ${cut}.`;
}

const statementInput = (env: ToolEnv) => z.object({ sql: sqlArg, limit: limitArg(env), format: formatArg });

/** A listing's `truncated`, and `truncatedBy` when it is. */
function truncation(list: NameList): { truncated: boolean; truncatedBy?: Truncation } {
  return { truncated: list.truncated, ...(list.truncatedBy ? { truncatedBy: list.truncatedBy } : {}) };
}

/** `truncated` only when true: a complete description or plan keeps the shape it always had. */
function withTruncation<T extends { truncated: boolean }>(r: T): Omit<T, 'truncated'> & { truncated?: true } {
  const { truncated, ...rest } = r;
  return truncated ? { ...rest, truncated: true } : rest;
}

/** execute_query and execute_statement: the same arguments and answer, another use-case and access. */
function statementTool(spec: Pick<ToolSpec, 'name' | 'title' | 'access' | 'annotations' | 'description'> & {
  useCase: (u: UseCases) => ExecuteQuery | ExecuteStatement;
}): ToolSpec {
  const { useCase, ...rest } = spec;
  return tool({
    ...rest,
    input: statementInput,
    output: outputSchemas.execute_query,
    async run(u, args, principal, signal, env, onProgress) {
      const maxRows = Math.min(args.limit ?? env.maxRows, env.maxRows);
      return tabular(await useCase(u).execute(args, principal, signal, onProgress), { ...env, maxRows }, { format: args.format, markUntrusted: env.markUntrusted });
    },
  });
}

/** Every tool of the server, in the order tools/list shows them. */
export const TOOLS: readonly ToolSpec[] = [
  tool({
    name: 'list_catalogs',
    title: 'List catalogs',
    access: 'read',
    annotations: READ_ANNOTATIONS,
    description: () => 'Lists the Trino catalogs (data sources) this server can see. Start here.',
    input: () => z.object({}),
    output: outputSchemas.list_catalogs,
    async run(u, _args, principal, signal, env) {
      const r = await u.listCatalogs.execute(principal, signal);
      return {
        result: {
          content: [{ type: 'text', text: renderList('Catalogs', r, env.maxResultBytes) }],
          structuredContent: { catalogs: [...r.names], ...truncation(r) },
        },
        rows: r.names.length,
      };
    },
  }),
  tool({
    name: 'list_schemas',
    title: 'List schemas',
    access: 'read',
    annotations: READ_ANNOTATIONS,
    description: () => 'Lists the schemas of one catalog.',
    input: () => z.object({ catalog: catalogArg.optional() }),
    output: outputSchemas.list_schemas,
    async run(u, args, principal, signal, env) {
      const r = await u.listSchemas.execute(args, principal, signal);
      return {
        result: {
          content: [{ type: 'text', text: renderList(`Schemas in ${r.catalog}`, r, env.maxResultBytes) }],
          structuredContent: { catalog: r.catalog, schemas: [...r.names], ...truncation(r) },
        },
        rows: r.names.length,
      };
    },
  }),
  tool({
    name: 'list_tables',
    title: 'List tables',
    access: 'read',
    annotations: READ_ANNOTATIONS,
    description: () => 'Lists the tables and views of one schema.',
    input: () => z.object({ catalog: catalogArg.optional(), schema: schemaArg.optional() }),
    output: outputSchemas.list_tables,
    async run(u, args, principal, signal, env) {
      const r = await u.listTables.execute(args, principal, signal);
      return {
        result: {
          content: [{ type: 'text', text: renderList(`Tables in ${r.catalog}.${r.schema}`, r, env.maxResultBytes) }],
          structuredContent: { catalog: r.catalog, schema: r.schema, tables: [...r.names], ...truncation(r) },
        },
        rows: r.names.length,
      };
    },
  }),
  tool({
    name: 'get_table_schema',
    title: 'Describe a table',
    access: 'read',
    annotations: READ_ANNOTATIONS,
    description: (env) =>
      'Returns the columns of a table in order, with their Trino types. `table` may be `table`, `schema.table` or ' +
      '`catalog.schema.table`; quote a part that contains a dot with double quotes ("my.table"). Missing parts come ' +
      `from \`catalog\`/\`schema\`, then from the server defaults. At most ${env.maxResultBytes} bytes of columns are ` +
      'returned; past that `truncated` is true. The table comment and column comments come with it when Trino has them. ' +
      '`include: ["sample"]` adds up to 10 rows of the table, `["stats"]` Trino\'s SHOW STATS figures; they share the ' +
      'size limit with the columns (what does not fit is cut, and says `truncated`). ' +
      valueLimitText(env, 'columns'),
    input: () =>
      z.object({
        table: z.string().min(1).describe('`table`, `schema.table` or `catalog.schema.table`.'),
        catalog: catalogArg.optional(),
        schema: schemaArg.optional(),
        include: z.array(z.enum(TABLE_EXTRAS)).max(TABLE_EXTRAS.length).optional().describe('Extras: "sample" (up to 10 rows), "stats" (SHOW STATS).'),
      }),
    output: outputSchemas.get_table_schema,
    async run(u, args, principal, signal, env) {
      const r = await u.describeTable.execute(args, principal, signal);
      const text = [
        `${r.catalog}.${r.schema}.${r.table}:${r.comment ? ` -- ${r.comment}` : ''}`,
        ...r.columns.map((c) => `${c.name}\t${c.type}${c.extra ? `\t${c.extra}` : ''}${c.comment ? `\t-- ${c.comment}` : ''}`),
        ...(r.truncated ? [`(${r.columns.length} columns shown; the description reached its size limit of ${env.maxResultBytes} bytes.)`] : []),
        ...renderExtras(r, env),
      ].join('\n');
      const content = [{ type: 'text' as const, text }, tableLink(r)];
      return { result: { content, structuredContent: withTruncation(r) }, rows: r.columns.length };
    },
  }),
  searchTool,
  statementTool({
    name: 'execute_query',
    title: 'Run a read-only SQL query',
    access: 'read',
    annotations: READ_ANNOTATIONS,
    description: (env) =>
      'Runs one read-only SQL statement on Trino: SELECT, WITH … SELECT, VALUES, TABLE, SHOW, DESCRIBE or ' +
      'EXPLAIN. Anything that writes or changes session state is refused with POLICY_DENIED' +
      (env.canWrite ? ' (use execute_statement for that). ' : '. ') +
      'Use Trino SQL with fully qualified names (catalog.schema.table) unless the defaults apply. ' +
      limitsText(env) +
      ' When more rows exist, the answer carries a `cursor` instead and the query waits: fetch_more(cursor) returns the ' +
      `next page, for ${Math.round(env.cursorTtlMs / 1000)} s.`,
    useCase: (u) => u.executeQuery,
  }),
  statementTool({
    name: 'execute_statement',
    title: 'Run a SQL statement that may write',
    access: 'write',
    annotations: WRITE_ANNOTATIONS,
    description: (env) =>
      'Runs one SQL statement on Trino that may change data or objects: INSERT, UPDATE, DELETE, MERGE, ' +
      'CREATE, ALTER, DROP and the like (the operator enabled writes). Use execute_query for reads. One ' +
      'statement per call. ' +
      limitsText(env),
    useCase: (u) => u.executeStatement,
  }),
  tool({
    name: 'explain_query',
    title: 'Explain a query',
    access: 'read',
    annotations: READ_ANNOTATIONS,
    description: (env) =>
      'Shows how Trino would run a statement, without running it. `type`: LOGICAL (default, the plan), ' +
      'DISTRIBUTED (with stages and exchanges), IO (tables and columns read), VALIDATE (only checks that the ' +
      'statement is valid). The statement must itself be allowed by the server policy. A plan longer than the result ' +
      `limit (${env.maxResultBytes} bytes, for the text and structuredContent together) is cut: it ends with ` +
      `"${truncationMarker(singleValueLimit(env.maxResultBytes))}" and \`truncated\` is true.`,
    input: () =>
      z.object({
        sql: z.string().min(1).describe('The statement to explain (without EXPLAIN).'),
        type: z.enum(EXPLAIN_TYPES).optional().describe('Plan type; LOGICAL when omitted.'),
      }),
    output: outputSchemas.explain_query,
    async run(u, args, principal, signal, env, onProgress) {
      const r = await u.explainQuery.execute(args, principal, signal, onProgress);
      const text = r.truncated ? `${r.plan}\n(The plan reached the size limit of ${env.maxResultBytes} bytes and was cut.)` : r.plan;
      return { result: { content: [{ type: 'text', text }], structuredContent: withTruncation(r) } };
    },
  }),
  fetchMoreTool,
];

const BY_NAME = new Map(TOOLS.map((t) => [t.name, t]));

/** The tool of that name, if the server has one. */
export function toolNamed(name: unknown): ToolSpec | undefined {
  return typeof name === 'string' ? BY_NAME.get(name) : undefined;
}
