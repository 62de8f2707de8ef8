import type { AllowlistSpec } from '../domain/allowlist.ts';
import type { NameDefaults, Principal } from '../domain/model.ts';

/** `read`: execute_query and explain_query (always read-only); `write`: execute_statement. */
export type StatementMode = 'read' | 'write';

export interface AuthorizeContext {
  readonly principal: Principal;
  readonly mode: StatementMode;
  /** Aborts an analysis round trip (EXPLAIN IO) the policy may need. */
  readonly signal: AbortSignal;
}

/** A catalog, a schema or a table, by name. */
export interface ObjectRef {
  readonly catalog: string;
  readonly schema?: string | undefined;
  readonly table?: string | undefined;
}

/**
 * Decides what a principal may run and see. The statement is the exact text that would
 * be sent to the engine (for explain_query: the whole `EXPLAIN …`).
 */
export interface QueryPolicy {
  /** Resolves when allowed; rejects with `DomainError('POLICY_DENIED')` naming the broken rule. */
  authorize(sql: string, context: AuthorizeContext): Promise<void>;
  /** Whether listings may show the object and get_table_schema may describe it. */
  visible(object: ObjectRef): boolean;
}
export const QueryPolicy = Symbol.for('QueryPolicy');

export interface PolicySettings {
  /** TRINO_ALLOW_WRITE_QUERIES: execute_statement exists and may write. */
  readonly allowWrites: boolean;
  /** TRINO_ALLOW_PASSTHROUGH_FUNCTIONS: table functions that send SQL to a connector are allowed in reads. */
  readonly allowPassthrough: boolean;
  readonly allowlist: AllowlistSpec;
  /** Bound on the analysis round trip (TRINO_QUERY_TIMEOUT). */
  readonly timeoutMs: number;
  /** TRINO_CATALOG / TRINO_SCHEMA: the analysis resolves unqualified names as the real run will. */
  readonly defaults: NameDefaults;
}
export const PolicySettings = Symbol.for('PolicySettings');
