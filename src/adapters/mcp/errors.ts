import { randomUUID } from 'node:crypto';
import type { CallToolResult } from '@modelcontextprotocol/server';
import { isDomainError, type DomainError, type ErrorCode, type PolicyRule } from '../../domain/errors.ts';
import type { Logger } from '../../ports/logger.ts';

/** What the model should do next after a refusal, per policy rule. */
function policyHint(rule: PolicyRule): string {
  switch (rule) {
    case 'EMPTY':
      return 'Send one SQL statement.';
    case 'SINGLE_STATEMENT':
      return 'Send each statement in a call of its own.';
    case 'LEXICAL':
      return 'Close the string, quoted identifier or comment, then call again.';
    case 'EXPLAIN_OPTIONS':
      return 'Use explain_query with its `type` argument instead of EXPLAIN options.';
    case 'READ_ONLY':
      return 'Do not retry this statement; rephrase it as a read (SELECT, SHOW, DESCRIBE, EXPLAIN).';
    case 'PASSTHROUGH':
      return 'Query the tables with Trino SQL directly instead of a pass-through table function.';
    case 'TABLE_FUNCTION':
      return 'Use Trino SQL or the built-in table functions (sequence, exclude_columns); the operator can allow this one with TRINO_ALLOWED_TABLE_FUNCTIONS.';
    case 'WRITES_DISABLED':
      return 'Do not retry: this server (or your token) may not write. Tell the user what the change would be instead.';
    case 'ALLOWLIST':
      return 'Do not retry with other outside names; use list_catalogs, list_schemas and list_tables to see what this server may touch.';
    case 'IMPERSONATION':
      return 'Retrying will not help. The message says why: the token lacks the claim this server runs queries as, its value cannot reach Trino exactly (visible ASCII, no leading or trailing space, at most 255 characters), or Trino does not let this server act as the user (the operator must allow it).';
    case 'TOKEN_EXCHANGE':
      return 'Retrying will not help: the identity provider would not issue a Trino token for you. Ask the user to sign in again; if that does not help, the operator must allow the exchange at the identity provider.';
    default: {
      const unreachable: never = rule;
      return unreachable;
    }
  }
}

/** What the model should do next, per error code. */
function hint(err: DomainError): string {
  const code: ErrorCode = err.code;
  switch (code) {
    case 'QUERY_INVALID':
      return 'Fix the statement and call again; use get_table_schema to check names and types.';
    case 'POLICY_DENIED':
      return err.details.rule ? policyHint(err.details.rule) : 'Do not retry this call unchanged.';
    case 'INVALID_ARGUMENT':
      return 'Correct the arguments and call again.';
    case 'NOT_FOUND':
      return 'Use list_catalogs, list_schemas and list_tables to find the right name.';
    case 'TIMEOUT':
      return 'Make the query cheaper: add a LIMIT, a more selective WHERE clause or an aggregation.';
    case 'CANCELLED':
      return 'The call was cancelled by the client.';
    case 'ENGINE_UNAVAILABLE':
      return err.details.retryable === false ? 'Retrying will not help until the operator fixes it.' : 'Retry in a little while.';
    case 'BUSY':
      return 'Too many queries are running; wait a few seconds and call again, one query at a time.';
    case 'CURSOR_INVALID':
      return 'Use only a cursor exactly as execute_query or fetch_more returned it to you; run the query again to get a new one.';
    case 'CURSOR_EXPIRED':
      return 'The rest of that result is gone; run the query again (with a WHERE clause or LIMIT if it is large).';
    case 'NOT_CONFIRMED':
      return 'Nothing was run. Do not retry unless the user asks for the change again.';
    case 'RATE_LIMITED':
      return `Too many calls in a short time; wait ${Math.ceil((err.details.retryAfterMs ?? 1000) / 1000)} s, then call again, fewer at a time.`;
    case 'INTERNAL':
      return 'This is a server fault; retrying may not help.';
    default: {
      const unreachable: never = code;
      return unreachable;
    }
  }
}

/**
 * Turns any failure into a tool result with a stable `structuredContent.code`. Domain
 * errors keep their message (Trino's message for QUERY_INVALID); anything else becomes
 * "internal error (ref …)" and only the log gets the details.
 */
export function toolError(err: unknown, log: Logger, tool: string): CallToolResult {
  let domain: DomainError | undefined = isDomainError(err) ? err : undefined;
  let message: string;
  let structured: Record<string, unknown>;
  if (domain && domain.code !== 'INTERNAL') {
    message = domain.message;
    structured = { code: domain.code, message, ...domain.details };
  } else {
    const ref = randomUUID().slice(0, 8);
    const e = err as { message?: unknown; stack?: unknown };
    log.error('internal error in tool', { tool, ref, error: String(e?.message ?? err), stack: String(e?.stack ?? '') });
    message = `internal error (ref ${ref})`;
    structured = { code: 'INTERNAL', message, ref };
    domain = undefined;
  }
  const code = structured['code'] as ErrorCode;
  const advice = domain ? hint(domain) : 'This is a server fault; retrying may not help.';
  return {
    isError: true,
    content: [{ type: 'text', text: `${code}: ${message}\n${advice}` }],
    structuredContent: structured,
  };
}
