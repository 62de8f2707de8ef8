import type { Principal } from '../domain/model.ts';

/**
 * Decides whether a principal may run a statement. The statement is the exact text that
 * would be sent to the engine (for explain_query: the whole `EXPLAIN …`).
 */
export interface QueryPolicy {
  /** Resolves when allowed; rejects with `DomainError('POLICY_DENIED')` naming the broken rule. */
  authorize(sql: string, principal: Principal): Promise<void>;
}
export const QueryPolicy = Symbol.for('QueryPolicy');

export interface PolicySettings {
  /** TRINO_ALLOW_WRITE_QUERIES: let non-reading statements through. */
  readonly allowWrites: boolean;
}
export const PolicySettings = Symbol.for('PolicySettings');
