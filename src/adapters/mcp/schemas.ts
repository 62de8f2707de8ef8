import { z } from 'zod';
import { ERROR_CODES, POLICY_RULES } from '../../domain/errors.ts';
import { EXPLAIN_TYPES } from '../../domain/model.ts';
import { OUTPUT_FORMATS } from './render-formats.ts';

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
  rule: z.enum(POLICY_RULES).optional().describe('Errors only: the policy rule that refused the statement.'),
  retryable: z.boolean().optional().describe('Errors only: whether retrying later may succeed.'),
  retryAfterMs: z.number().int().optional().describe('Errors only: how long to wait before retrying (RATE_LIMITED).'),
  ref: z.string().optional().describe('Errors only: reference of an internal error in the server log.'),
  queryId: z.string().optional().describe('Trino query id, when a query ran.'),
};

export function toolOutput<T extends z.ZodRawShape>(success: T) {
  return z.object({ ...z.object(success).partial().shape, ...errorFields });
}

const columnSchema = z.object({ name: z.string(), type: z.string() });

const truncatedBy = z
  .enum(['rows', 'bytes'])
  .describe('When truncated: the limit that was hit, the row cap or the result size (TRINO_MAX_RESULT_BYTES).');

const tabularOutput = toolOutput({
  columns: z.array(columnSchema).describe('Result columns in order; names may repeat.'),
  rows: z.array(z.array(z.unknown())).describe('Rows as arrays, values in column order (JSON as Trino returns them).'),
  rowCount: z.number().int(),
  truncated: z.boolean().describe('True when more rows existed than were returned; the query was then cancelled.'),
  truncatedBy,
  truncatedValues: z
    .number()
    .int()
    .describe('How many values were longer than TRINO_MAX_VALUE_BYTES and cut (they end with the marker); absent when none.'),
  cursor: z
    .string()
    .describe('When more rows exist and can be read: pass it to fetch_more for the next page. Absent at the end of the result.'),
});

/** What get_table_schema adds on request: a sample and SHOW STATS, each cut by what is left of the result size limit. */
const tableRows = (what: string) =>
  z
    .object({
      columns: z.array(columnSchema),
      rows: z.array(z.array(z.unknown())),
      truncated: z.boolean().describe('True when the result size limit left no room for the rest.'),
      truncatedBy: truncatedBy.optional(),
      truncatedValues: z.number().int().optional(),
    })
    .describe(what);

const tableExtrasOutput = {
  comment: z.string().describe("The table's comment, when Trino has one."),
  sample: tableRows('Up to 10 rows of the table, when include has "sample".'),
  stats: tableRows('Trino\'s SHOW STATS figures, when include has "stats".'),
};

const hitSchema = z.object({
  catalog: z.string(),
  schema: z.string(),
  table: z.string(),
  column: z.string().optional(),
  type: z.string().optional(),
  comment: z.string().optional().describe("The table's comment (kind table) or the column's (kind column), when Trino has one."),
});

const searchOutput = toolOutput({
  kind: z.enum(['table', 'column']),
  matches: z.array(hitSchema),
  truncated: z.boolean().describe('True when more matches may exist: the limit or size limit was reached, or a catalog was skipped.'),
  truncatedBy: z.enum(['rows', 'bytes']).describe('When the limit (rows) or the result size (bytes) stopped the search.'),
  searched: z.array(z.string()).describe('Catalogs searched to the end.'),
  skipped: z
    .array(z.object({ catalog: z.string(), reason: z.enum(['slow', 'failed', 'time', 'scan']) }))
    .describe('Catalogs not searched to the end: slow (took longer than its share of the time), failed, time (the call ran out of time first), scan (too many candidates: narrow the pattern).'),
});

export const outputSchemas = {
  list_catalogs: toolOutput({ catalogs: z.array(z.string()), truncated: z.boolean(), truncatedBy }),
  list_schemas: toolOutput({ catalog: z.string(), schemas: z.array(z.string()), truncated: z.boolean(), truncatedBy }),
  list_tables: toolOutput({ catalog: z.string(), schema: z.string(), tables: z.array(z.string()), truncated: z.boolean(), truncatedBy }),
  get_table_schema: toolOutput({
    catalog: z.string(),
    schema: z.string(),
    table: z.string(),
    columns: z.array(z.object({ name: z.string(), type: z.string(), extra: z.string().optional(), comment: z.string().optional() })),
    truncated: z.boolean().describe('Present (true) only when the columns reached the result size limit and the rest were not read.'),
    ...tableExtrasOutput,
  }),
  search_tables: searchOutput,
  execute_query: tabularOutput,
  execute_statement: tabularOutput,
  fetch_more: tabularOutput,
  explain_query: toolOutput({
    type: z.enum(EXPLAIN_TYPES),
    plan: z.string(),
    truncated: z.boolean().describe('Present (true) only when the plan reached the result size limit and was cut (it ends with the marker).'),
  }),
};

export const catalogArg = z.string().min(1).describe('Catalog name as Trino lists it; defaults to TRINO_CATALOG.');
export const schemaArg = z.string().min(1).describe('Schema name as Trino lists it; defaults to TRINO_SCHEMA.');
/** A cursor is a few hundred characters; anything much longer is not one, and is refused before any work. */
export const MAX_CURSOR_CHARS = 4096;
export const cursorArg = z.string().min(1).max(MAX_CURSOR_CHARS).describe('The `cursor` of an execute_query or fetch_more answer, exactly as given.');
export const formatArg = z
  .enum(OUTPUT_FORMATS)
  .optional()
  .describe(`How the text content shows the rows: csv (default, the most compact), json or markdown. structuredContent is the same for all.`);

export const sqlArg = z.string().min(1).describe('One Trino SQL statement; a trailing semicolon is allowed.');

export const READ_ANNOTATIONS = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;
export const WRITE_ANNOTATIONS = { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false } as const;
