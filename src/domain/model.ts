import type { BearerCredential } from './credential.ts';

/** A result column as Trino reports it: name (duplicates allowed) and Trino type (e.g. `varchar(25)`). */
export interface Column {
  readonly name: string;
  readonly type: string;
}

export type Row = readonly unknown[];

/** Which limit cut a result short: the row cap, or the byte budget (TRINO_MAX_RESULT_BYTES). */
export type Truncation = 'rows' | 'bytes';

/** A tabular result handed to the edges: column order and duplicate names preserved. */
export interface TabularResult {
  readonly columns: readonly Column[];
  readonly rows: readonly Row[];
  readonly rowCount: number;
  /** True when more rows existed than were returned (a limit was hit and the query cancelled). */
  readonly truncated: boolean;
  /** The limit that was hit, when `truncated`. */
  readonly truncatedBy?: Truncation;
  /** How many of the returned values were cut at TRINO_MAX_VALUE_BYTES (they end with the marker); absent when none. */
  readonly truncatedValues?: number;
  readonly queryId?: string;
}

/**
 * Who is asking. Over stdio the operator is the only principal; over HTTP it comes
 * from the verified bearer token.
 */
export interface Principal {
  readonly subject: string;
  readonly username?: string;
  readonly email?: string;
  readonly scopes: readonly string[];
  /** Where the request came from (e.g. `stdio`, `http`), for logs and attribution. */
  readonly via: string;
  /** When this server stops accepting the credential (ms since the epoch: a token's exp plus the clock tolerance); unset when it does not expire. */
  readonly expiresAt?: number | undefined;
  /** The verified bearer token this request carried (HTTP with OAuth); only token exchange reads it. */
  readonly credential?: BearerCredential | undefined;
}

/**
 * Who counts as one user for per-user limits: the subject alone. Over HTTP it is the
 * token's `sub`, which the identity provider keeps unique and stable, unlike names and
 * emails; over stdio it is the operator. `via` names the transport, not the person: a
 * user reaching the server two ways is still one user. Without OAuth every HTTP caller is
 * the one anonymous subject, and so shares one budget.
 */
export function userKey(principal: Principal): string {
  return principal.subject;
}

/** Session defaults for name resolution (from TRINO_CATALOG / TRINO_SCHEMA). */
export interface NameDefaults {
  readonly catalog?: string;
  readonly schema?: string;
}

export interface TableName {
  readonly catalog: string;
  readonly schema: string;
  readonly table: string;
}

export type ExplainType = 'LOGICAL' | 'DISTRIBUTED' | 'IO' | 'VALIDATE';
export const EXPLAIN_TYPES: readonly ExplainType[] = ['LOGICAL', 'DISTRIBUTED', 'IO', 'VALIDATE'];
