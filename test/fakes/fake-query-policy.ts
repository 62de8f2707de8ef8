import { DomainError } from '../../src/domain/errors.ts';
import type { Principal } from '../../src/domain/model.ts';
import type { QueryPolicy } from '../../src/ports/query-policy.ts';

export interface FakeQueryPolicyOptions {
  /** Statements (matched after trimming) that are denied. */
  readonly deny?: Iterable<string>;
  /** The rule a denial names; READ_ONLY unless told. */
  readonly rule?: string;
  /** Called on every authorize, before the verdict: lets a test observe ordering. */
  readonly onAuthorize?: (sql: string, principal: Principal) => void;
}

/** A QueryPolicy that denies a configurable set of statements and records every call. */
export class FakeQueryPolicy implements QueryPolicy {
  readonly calls: { sql: string; principal: Principal }[] = [];
  private readonly denied: Set<string>;
  private readonly rule: string;
  private readonly onAuthorize: ((sql: string, principal: Principal) => void) | undefined;

  constructor(options: FakeQueryPolicyOptions = {}) {
    this.denied = new Set([...(options.deny ?? [])].map((s) => s.trim()));
    this.rule = options.rule ?? 'READ_ONLY';
    this.onAuthorize = options.onAuthorize;
  }

  deny(sql: string): this {
    this.denied.add(sql.trim());
    return this;
  }

  async authorize(sql: string, principal: Principal): Promise<void> {
    this.calls.push({ sql, principal });
    this.onAuthorize?.(sql, principal);
    if (this.denied.has(sql.trim())) {
      throw new DomainError('POLICY_DENIED', `The fake policy denies: ${sql}`, { rule: this.rule });
    }
  }
}
