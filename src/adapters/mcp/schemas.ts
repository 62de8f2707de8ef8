import { z } from 'zod';
import { ERROR_CODES, POLICY_RULES } from '../../domain/errors.ts';
import { EXPLAIN_TYPES } from '../../domain/model.ts';

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

function toolOutput<T extends z.ZodRawShape>(success: T) {
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
  }),
  execute_query: tabularOutput,
  execute_statement: tabularOutput,
  explain_query: toolOutput({
    type: z.enum(EXPLAIN_TYPES),
    plan: z.string(),
    truncated: z.boolean().describe('Present (true) only when the plan reached the result size limit and was cut (it ends with the marker).'),
  }),
};

export const catalogArg = z.string().min(1).describe('Catalog name as Trino lists it; defaults to TRINO_CATALOG.');
export const schemaArg = z.string().min(1).describe('Schema name as Trino lists it; defaults to TRINO_SCHEMA.');
export const sqlArg = z.string().min(1).describe('One Trino SQL statement; a trailing semicolon is allowed.');

export const READ_ANNOTATIONS = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;
export const WRITE_ANNOTATIONS = { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false } as const;
