import { McpServer, type CallToolResult, type ServerContext } from '@modelcontextprotocol/server';
import { inject, injectable } from 'inversify';
import { z } from 'zod';
import { EXPLAIN_TYPES, type Principal } from '../../domain/model.ts';
import {
  DescribeTable,
  ExecuteQuery,
  ExecuteStatement,
  ExplainQuery,
  ListCatalogs,
  ListSchemas,
  ListTables,
  type QuerySettings,
} from '../../domain/use-cases.ts';
import { ERROR_CODES, isDomainError } from '../../domain/errors.ts';
import { Logger } from '../../ports/logger.ts';
import { toolError } from './errors.ts';
import { renderList, renderTable } from './render.ts';

/** Settings the MCP edge needs to describe its tools truthfully. */
export interface McpSettings extends QuerySettings {
  readonly allowWrites: boolean;
  readonly name: string;
  readonly version: string;
}
export const McpSettings = Symbol.for('McpSettings');

/** Finds the caller of a request: fixed over stdio, from the verified token over HTTP. */
export type PrincipalResolver = (ctx: ServerContext) => Principal;

/**
 * An extra cancellation signal for a request, beyond the protocol's own: over stateless
 * HTTP, 2025-era clients never send a cancel when they go away, so the HTTP edge aborts
 * this signal when the response closes early or the server shuts down.
 */
export type SignalResolver = (ctx: ServerContext) => AbortSignal | undefined;

const READ_ANNOTATIONS = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;

const catalogArg = z.string().min(1).describe('Catalog name as Trino lists it; defaults to TRINO_CATALOG.');
const schemaArg = z.string().min(1).describe('Schema name as Trino lists it; defaults to TRINO_SCHEMA.');

const columnSchema = z.object({ name: z.string(), type: z.string() });

/**
 * Error results (isError: true) carry `{code, message, …}` as structuredContent. Clients
 * of the 2025 SDK validate structuredContent against the outputSchema even on errors, so
 * every outputSchema admits both shapes: the success fields are present on success, the
 * error fields on errors.
 */
const errorFields = {
  code: z.enum(ERROR_CODES).optional().describe('Errors only: a stable error code.'),
  message: z.string().optional().describe('Errors only: what went wrong and what to do.'),
  errorName: z.string().optional().describe("Errors only: Trino's error name, e.g. SYNTAX_ERROR."),
  rule: z.string().optional().describe('Errors only: the policy rule that refused the statement.'),
  retryable: z.boolean().optional().describe('Errors only: whether retrying later may succeed.'),
  ref: z.string().optional().describe('Errors only: reference of an internal error in the server log.'),
  queryId: z.string().optional().describe('Trino query id, when a query ran.'),
};

function toolOutput<T extends z.ZodRawShape>(success: T) {
  return z.object({ ...z.object(success).partial().shape, ...errorFields });
}

const tabularOutput = toolOutput({
  columns: z.array(columnSchema).describe('Result columns in order; names may repeat.'),
  rows: z.array(z.array(z.unknown())).describe('Rows as arrays, values in column order (JSON as Trino returns them).'),
  rowCount: z.number().int(),
  truncated: z.boolean().describe('True when more rows existed than were returned; the query was then cancelled.'),
});

export const outputSchemas = {
  list_catalogs: toolOutput({ catalogs: z.array(z.string()), truncated: z.boolean() }),
  list_schemas: toolOutput({ catalog: z.string(), schemas: z.array(z.string()), truncated: z.boolean() }),
  list_tables: toolOutput({ catalog: z.string(), schema: z.string(), tables: z.array(z.string()), truncated: z.boolean() }),
  get_table_schema: toolOutput({
    catalog: z.string(),
    schema: z.string(),
    table: z.string(),
    columns: z.array(
      z.object({ name: z.string(), type: z.string(), extra: z.string().optional(), comment: z.string().optional() }),
    ),
  }),
  execute_query: tabularOutput,
  execute_statement: tabularOutput,
  explain_query: toolOutput({ type: z.enum(EXPLAIN_TYPES), plan: z.string() }),
};

/**
 * Builds MCP servers that expose the use-cases as tools. One instance per connection
 * (stdio) or per request (stateless HTTP); all share the use-cases.
 */
@injectable()
export class TrinoMcpServer {
  constructor(
    @inject(McpSettings) private readonly settings: McpSettings,
    @inject(Logger) private readonly log: Logger,
    @inject(ListCatalogs) private readonly listCatalogs: ListCatalogs,
    @inject(ListSchemas) private readonly listSchemas: ListSchemas,
    @inject(ListTables) private readonly listTables: ListTables,
    @inject(DescribeTable) private readonly describeTable: DescribeTable,
    @inject(ExecuteQuery) private readonly executeQuery: ExecuteQuery,
    @inject(ExecuteStatement) private readonly executeStatement: ExecuteStatement,
    @inject(ExplainQuery) private readonly explainQuery: ExplainQuery,
  ) {}

  private readonly inflight = new Set<Promise<unknown>>();

  /** Resolves once no tool call is running (their Trino queries are finished or cancelled), or after `ms`. */
  async settled(ms: number): Promise<void> {
    const deadline = AbortSignal.timeout(ms);
    while (this.inflight.size > 0 && !deadline.aborted) {
      await Promise.race([Promise.allSettled([...this.inflight]), new Promise((r) => deadline.addEventListener('abort', r, { once: true }))]);
    }
  }

  /** Runs one tool call, tracked in `inflight` until it settles. */
  private call(...args: Parameters<TrinoMcpServer['runCall']>): Promise<CallToolResult> {
    const running = this.runCall(...args);
    this.inflight.add(running);
    void running.finally(() => this.inflight.delete(running));
    return running;
  }

  /** Resolves the caller, runs the tool body, logs the outcome, maps every failure. */
  private async runCall(
    tool: string,
    ctx: ServerContext,
    principalOf: PrincipalResolver,
    signalOf: SignalResolver | undefined,
    body: (principal: Principal, signal: AbortSignal) => Promise<CallToolResult & { queryId?: string; rows?: number }>,
  ): Promise<CallToolResult> {
    const started = performance.now();
    let principal: Principal | undefined;
    try {
      principal = principalOf(ctx);
      const extra = signalOf?.(ctx);
      const signal = extra ? AbortSignal.any([ctx.mcpReq.signal, extra]) : ctx.mcpReq.signal;
      const { queryId, rows, ...result } = await body(principal, signal);
      this.log.info('tool call', {
        tool,
        user: principal.subject,
        via: principal.via,
        queryId,
        rows,
        durationMs: Math.round(performance.now() - started),
        outcome: 'ok',
      });
      return result;
    } catch (err) {
      const result = toolError(err, this.log, tool);
      const structured = result.structuredContent as { code: string; queryId?: string };
      this.log.info('tool call', {
        tool,
        user: principal?.subject,
        via: principal?.via,
        queryId: structured.queryId,
        durationMs: Math.round(performance.now() - started),
        outcome: structured.code,
        ...(isDomainError(err) && err.details.errorName ? { errorName: err.details.errorName } : {}),
      });
      return result;
    }
  }

  /**
   * One MCP server for a connection or a request. `writeTools` (default: whether the
   * operator enabled writes) decides whether execute_statement is offered: over HTTP a
   * caller without the write scope is not shown a tool it may not call.
   */
  create(principalOf: PrincipalResolver, signalOf?: SignalResolver, options: { writeTools?: boolean } = {}): McpServer {
    const s = this.settings;
    const writeTools = s.allowWrites && (options.writeTools ?? true);
    const server = new McpServer(
      { name: s.name, version: s.version },
      {
        capabilities: { tools: {} },
        instructions:
          'Explore a Trino cluster: list_catalogs → list_schemas → list_tables → get_table_schema, then execute_query. ' +
          (writeTools ? 'Statements that write go through execute_statement.' : 'The server is read-only.'),
      },
    );

    server.registerTool(
      'list_catalogs',
      {
        title: 'List catalogs',
        description: 'Lists the Trino catalogs (data sources) this server can see. Start here.',
        inputSchema: z.object({}),
        outputSchema: outputSchemas.list_catalogs,
        annotations: READ_ANNOTATIONS,
      },
      (_args, ctx) =>
        this.call('list_catalogs', ctx, principalOf, signalOf, async (p, signal) => {
          const r = await this.listCatalogs.execute(p, signal);
          return {
            content: [{ type: 'text', text: renderList('Catalogs', r.names, r.truncated) }],
            structuredContent: { catalogs: [...r.names], truncated: r.truncated },
            rows: r.names.length,
          };
        }),
    );

    server.registerTool(
      'list_schemas',
      {
        title: 'List schemas',
        description: 'Lists the schemas of one catalog.',
        inputSchema: z.object({ catalog: catalogArg.optional() }),
        outputSchema: outputSchemas.list_schemas,
        annotations: READ_ANNOTATIONS,
      },
      (args, ctx) =>
        this.call('list_schemas', ctx, principalOf, signalOf, async (p, signal) => {
          const r = await this.listSchemas.execute(args, p, signal);
          return {
            content: [{ type: 'text', text: renderList(`Schemas in ${r.catalog}`, r.names, r.truncated) }],
            structuredContent: { catalog: r.catalog, schemas: [...r.names], truncated: r.truncated },
            rows: r.names.length,
          };
        }),
    );

    server.registerTool(
      'list_tables',
      {
        title: 'List tables',
        description: 'Lists the tables and views of one schema.',
        inputSchema: z.object({ catalog: catalogArg.optional(), schema: schemaArg.optional() }),
        outputSchema: outputSchemas.list_tables,
        annotations: READ_ANNOTATIONS,
      },
      (args, ctx) =>
        this.call('list_tables', ctx, principalOf, signalOf, async (p, signal) => {
          const r = await this.listTables.execute(args, p, signal);
          return {
            content: [{ type: 'text', text: renderList(`Tables in ${r.catalog}.${r.schema}`, r.names, r.truncated) }],
            structuredContent: { catalog: r.catalog, schema: r.schema, tables: [...r.names], truncated: r.truncated },
            rows: r.names.length,
          };
        }),
    );

    server.registerTool(
      'get_table_schema',
      {
        title: 'Describe a table',
        description:
          'Returns the columns of a table in order, with their Trino types. `table` may be `table`, `schema.table` or ' +
          '`catalog.schema.table`; quote a part that contains a dot with double quotes ("my.table"). Missing parts come ' +
          'from `catalog`/`schema`, then from the server defaults.',
        inputSchema: z.object({
          table: z.string().min(1).describe('`table`, `schema.table` or `catalog.schema.table`.'),
          catalog: catalogArg.optional(),
          schema: schemaArg.optional(),
        }),
        outputSchema: outputSchemas.get_table_schema,
        annotations: READ_ANNOTATIONS,
      },
      (args, ctx) =>
        this.call('get_table_schema', ctx, principalOf, signalOf, async (p, signal) => {
          const r = await this.describeTable.execute(args, p, signal);
          const text = [
            `${r.catalog}.${r.schema}.${r.table}:`,
            ...r.columns.map((c) => `${c.name}\t${c.type}${c.extra ? `\t${c.extra}` : ''}${c.comment ? `\t-- ${c.comment}` : ''}`),
          ].join('\n');
          return { content: [{ type: 'text', text }], structuredContent: r, rows: r.columns.length };
        }),
    );

    const limitArg = z
      .number()
      .int()
      .min(1)
      .optional()
      .describe(`Return at most this many rows (values above ${s.maxRows} are lowered to ${s.maxRows}).`);
    const limits =
      `At most ${s.maxRows} rows are returned (\`limit\` may lower this); when more exist, \`truncated\` is true and ` +
      `the query is cancelled, so prefer aggregations and LIMIT. Statements running longer than ` +
      `${Math.round(s.timeoutMs / 1000)} s are cancelled with TIMEOUT.`;
    const runTool =
      (tool: string, useCase: ExecuteQuery | ExecuteStatement) =>
      (args: { sql: string; limit?: number | undefined }, ctx: ServerContext) =>
        this.call(tool, ctx, principalOf, signalOf, async (p, signal) => {
          const r = await useCase.execute(args, p, signal);
          const cap = Math.min(args.limit ?? s.maxRows, s.maxRows);
          return {
            content: [{ type: 'text', text: renderTable(r, cap) }],
            structuredContent: {
              columns: r.columns.map((c) => ({ name: c.name, type: c.type })),
              rows: r.rows.map((row) => [...row]),
              rowCount: r.rowCount,
              truncated: r.truncated,
              ...(r.queryId ? { queryId: r.queryId } : {}),
            },
            ...(r.queryId ? { queryId: r.queryId } : {}),
            rows: r.rowCount,
          };
        });

    server.registerTool(
      'execute_query',
      {
        title: 'Run a read-only SQL query',
        description:
          'Runs one read-only SQL statement on Trino: SELECT, WITH … SELECT, VALUES, TABLE, SHOW, DESCRIBE or ' +
          'EXPLAIN. Anything that writes or changes session state is refused with POLICY_DENIED' +
          (writeTools ? ' (use execute_statement for that). ' : '. ') +
          'Use Trino SQL with fully qualified names (catalog.schema.table) unless the defaults apply. ' +
          limits,
        inputSchema: z.object({
          sql: z.string().min(1).describe('One Trino SQL statement; a trailing semicolon is allowed.'),
          limit: limitArg,
        }),
        outputSchema: outputSchemas.execute_query,
        annotations: READ_ANNOTATIONS,
      },
      runTool('execute_query', this.executeQuery),
    );

    if (writeTools) {
      server.registerTool(
        'execute_statement',
        {
          title: 'Run a SQL statement that may write',
          description:
            'Runs one SQL statement on Trino that may change data or objects: INSERT, UPDATE, DELETE, MERGE, ' +
            'CREATE, ALTER, DROP and the like (the operator enabled writes). Use execute_query for reads. One ' +
            'statement per call. ' +
            limits,
          inputSchema: z.object({
            sql: z.string().min(1).describe('One Trino SQL statement; a trailing semicolon is allowed.'),
            limit: limitArg,
          }),
          outputSchema: outputSchemas.execute_query,
          annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
        },
        runTool('execute_statement', this.executeStatement),
      );
    }

    server.registerTool(
      'explain_query',
      {
        title: 'Explain a query',
        description:
          'Shows how Trino would run a statement, without running it. `type`: LOGICAL (default, the plan), ' +
          'DISTRIBUTED (with stages and exchanges), IO (tables and columns read), VALIDATE (only checks that the ' +
          'statement is valid). The statement must itself be allowed by the server policy.',
        inputSchema: z.object({
          sql: z.string().min(1).describe('The statement to explain (without EXPLAIN).'),
          type: z.enum(EXPLAIN_TYPES).optional().describe('Plan type; LOGICAL when omitted.'),
        }),
        outputSchema: outputSchemas.explain_query,
        annotations: READ_ANNOTATIONS,
      },
      (args, ctx) =>
        this.call('explain_query', ctx, principalOf, signalOf, async (p, signal) => {
          const r = await this.explainQuery.execute(args, p, signal);
          return { content: [{ type: 'text', text: r.plan }], structuredContent: r };
        }),
    );

    giveValidationErrorsACode(server);
    return server;
  }
}

/**
 * The SDK answers arguments that fail a tool's input schema itself, as a tool error with
 * text only. Clients branch on `structuredContent.code`, so that answer gets
 * INVALID_ARGUMENT too. The SDK offers no hook: its (private) error factory is wrapped,
 * and test/unit/mcp-tools pins the behaviour so an SDK change shows up as a failure.
 */
function giveValidationErrorsACode(server: McpServer): void {
  const internals = server as unknown as { createToolError?: (message: string) => CallToolResult };
  const original = internals.createToolError?.bind(server);
  if (!original) return;
  internals.createToolError = (message: string) => {
    const result = original(message);
    if (!message.startsWith('Input validation error')) return result;
    const text = message.replace(/^Input validation error: /, '');
    return {
      ...result,
      content: [{ type: 'text', text: `INVALID_ARGUMENT: ${text}\nCorrect the arguments and call again.` }],
      structuredContent: { code: 'INVALID_ARGUMENT', message: text },
    };
  };
}
