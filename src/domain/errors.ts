/**
 * Domain errors. Every failure a use-case can report carries a stable `code`;
 * the edges (MCP tools, HTTP) map codes, never messages.
 */
export type ErrorCode =
  /** The SQL or an argument was rejected by Trino (syntax, unknown table, type error). */
  | 'QUERY_INVALID'
  /** The query policy refused the statement before it reached Trino. */
  | 'POLICY_DENIED'
  /** A tool argument is malformed (e.g. a table name with four parts). */
  | 'INVALID_ARGUMENT'
  /** The named catalog, schema or table does not exist (or is not visible). */
  | 'NOT_FOUND'
  /** The query ran past TRINO_QUERY_TIMEOUT and was cancelled. */
  | 'TIMEOUT'
  /** The caller cancelled the request; the Trino query was cancelled. */
  | 'CANCELLED'
  /** Trino could not be reached or answered with a server-side failure; retrying may help. */
  | 'ENGINE_UNAVAILABLE'
  /** Too many queries run already (TRINO_MAX_CONCURRENT_QUERIES, per user or in total); retry shortly. */
  | 'BUSY'
  /** A result cursor that this server did not issue to this caller: forged, altered, another caller's, or not a cursor. */
  | 'CURSOR_INVALID'
  /** A result cursor past TRINO_CURSOR_TTL, or whose result Trino no longer holds (read past, finished or cancelled). */
  | 'CURSOR_EXPIRED'
  /** The user declined or cancelled the confirmation of a write, or the client cannot ask for one; nothing ran. */
  | 'NOT_CONFIRMED'
  /** The caller spent its share of calls (RATE_LIMIT_PER_MINUTE, RATE_LIMIT_BURST); retry after `retryAfterMs`. */
  | 'RATE_LIMITED'
  /** Anything else; details only in the server log. */
  | 'INTERNAL';

/** Every ErrorCode, for schemas and exhaustive tests. */
export const ERROR_CODES = [
  'QUERY_INVALID',
  'POLICY_DENIED',
  'INVALID_ARGUMENT',
  'NOT_FOUND',
  'TIMEOUT',
  'CANCELLED',
  'ENGINE_UNAVAILABLE',
  'BUSY',
  'CURSOR_INVALID',
  'CURSOR_EXPIRED',
  'NOT_CONFIRMED',
  'RATE_LIMITED',
  'INTERNAL',
] as const satisfies readonly ErrorCode[];
// Fails to compile when a code is added to ErrorCode but not to ERROR_CODES.
const _allCodesListed: Exclude<ErrorCode, (typeof ERROR_CODES)[number]> extends never ? true : never = true;
void _allCodesListed;

/** The rule a POLICY_DENIED names; each has its own advice for the model at the MCP edge. */
export type PolicyRule =
  /** No statement at all (blank, or comments only). */
  | 'EMPTY'
  /** More than one statement in one call. */
  | 'SINGLE_STATEMENT'
  /** An unterminated string, quoted identifier or comment. */
  | 'LEXICAL'
  /** EXPLAIN options that are not plain words. */
  | 'EXPLAIN_OPTIONS'
  /** A statement that writes or changes state, sent to a read-only tool. */
  | 'READ_ONLY'
  /** A table function that hands SQL to a connector, unseen by Trino's analysis. */
  | 'PASSTHROUGH'
  /** A connector's table function, not known to run inside Trino without side effects (TRINO_ALLOWED_TABLE_FUNCTIONS). */
  | 'TABLE_FUNCTION'
  /** A write on a server (or for a caller) that may not write. */
  | 'WRITES_DISABLED'
  /** An object outside TRINO_ALLOWED_*, or a statement whose objects cannot be checked. */
  | 'ALLOWLIST'
  /**
   * TRINO_IMPERSONATE is on and the caller's token lacks the claim to run as, its value
   * cannot be sent to Trino exactly, or Trino refuses to let TRINO_USER act as that user.
   */
  | 'IMPERSONATION'
  /** TRINO_AUTH=token_exchange: the identity provider refused to exchange the caller's token for a Trino token. */
  | 'TOKEN_EXCHANGE';

export const POLICY_RULES = [
  'EMPTY',
  'SINGLE_STATEMENT',
  'LEXICAL',
  'EXPLAIN_OPTIONS',
  'READ_ONLY',
  'PASSTHROUGH',
  'TABLE_FUNCTION',
  'WRITES_DISABLED',
  'ALLOWLIST',
  'IMPERSONATION',
  'TOKEN_EXCHANGE',
] as const satisfies readonly PolicyRule[];
const _allRulesListed: Exclude<PolicyRule, (typeof POLICY_RULES)[number]> extends never ? true : never = true;
void _allRulesListed;

export interface ErrorDetails {
  /** Trino's error name (e.g. SYNTAX_ERROR, TABLE_NOT_FOUND), when Trino produced the error. */
  readonly errorName?: string;
  /** Trino's query id, when a query was started. */
  readonly queryId?: string;
  /** The policy rule that refused a statement. */
  readonly rule?: PolicyRule;
  /** Whether the same call may succeed later without changes. */
  readonly retryable?: boolean;
  /** When retrying may succeed: the wait, in milliseconds (RATE_LIMITED). */
  readonly retryAfterMs?: number;
}

export class DomainError extends Error {
  override readonly name = 'DomainError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isDomainError(err: unknown): err is DomainError {
  return err instanceof DomainError;
}

/** A refusal by the query policy, naming its rule. */
export function policyDenied(rule: PolicyRule, message: string): DomainError {
  return new DomainError('POLICY_DENIED', message, { rule });
}
