import { DomainError } from '../../src/domain/errors.ts';
import type { AuthorizeContext, ObjectRef, QueryPolicy, StatementMode } from '../../src/ports/query-policy.ts';

export interface FakeQueryPolicyOptions {
  /** Statements (matched after trimming) that are denied, in every mode. */
  readonly deny?: Iterable<string>;
  /** The rule a denial names; READ_ONLY unless told. */
  readonly rule?: string;
  /** Called on every authorize, before the verdict: lets a test observe ordering. */
  readonly onAuthorize?: (sql: string, context: AuthorizeContext) => void;
  /** Which catalogs, schemas and tables are visible; everything unless told. */
  readonly visible?: (object: ObjectRef) => boolean;
}

/**
 * A QueryPolicy that denies a configurable set of statements, hides what a predicate
 * says, and records every call.
 */
export class FakeQueryPolicy implements QueryPolicy {
  /** Every authorize call, in order: the statement and the mode. */
  readonly calls: { sql: string; mode: StatementMode }[] = [];
  /** The full context of every authorize call (principal, mode, signal), in order. */
  readonly contexts: AuthorizeContext[] = [];
  /** Every visible call, in order. */
  readonly visibleCalls: ObjectRef[] = [];
  private readonly denied: Set<string>;
  private readonly rule: string;
  private readonly onAuthorize: ((sql: string, context: AuthorizeContext) => void) | undefined;
  private readonly isVisible: (object: ObjectRef) => boolean;

  constructor(options: FakeQueryPolicyOptions = {}) {
    this.denied = new Set([...(options.deny ?? [])].map((s) => s.trim()));
    this.rule = options.rule ?? 'READ_ONLY';
    this.onAuthorize = options.onAuthorize;
    this.isVisible = options.visible ?? (() => true);
  }

  deny(sql: string): this {
    this.denied.add(sql.trim());
    return this;
  }

  async authorize(sql: string, context: AuthorizeContext): Promise<void> {
    this.calls.push({ sql, mode: context.mode });
    this.contexts.push(context);
    this.onAuthorize?.(sql, context);
    if (this.denied.has(sql.trim())) {
      throw new DomainError('POLICY_DENIED', `The fake policy denies: ${sql}`, { rule: this.rule });
    }
  }

  visible(object: ObjectRef): boolean {
    this.visibleCalls.push({ ...object });
    return this.isVisible(object);
  }
}
