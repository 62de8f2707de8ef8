import { policyDenied, type PolicyRule } from '../../src/domain/errors.ts';
import type { Principal } from '../../src/domain/model.ts';
import type { ObjectRef, QueryPolicy, StatementMode } from '../../src/domain/policy.ts';
import type { Statement } from '../../src/domain/statement.ts';

export interface FakeQueryPolicyOptions {
  /** Statements (the text the engine would be sent) that are denied, in every mode. */
  readonly deny?: Iterable<string>;
  /** The rule a denial names; READ_ONLY unless told. */
  readonly rule?: PolicyRule;
  /** Called on every check, before the verdict: lets a test observe ordering. */
  readonly onCheck?: (statement: Statement, mode: StatementMode, principal: Principal) => void;
  /** Which catalogs, schemas and tables are visible; everything unless told. */
  readonly visible?: (object: ObjectRef) => boolean;
  /** Whether statements need Trino's analysis (check returns the statement's analysed text); no unless told. */
  readonly needsAnalysis?: boolean;
}

/**
 * A QueryPolicy that denies a configurable set of statements, hides what a predicate
 * says, and records every call.
 */
export class FakeQueryPolicy implements QueryPolicy {
  /** Every check, in order: the statement's text and the mode. */
  readonly calls: { sql: string; mode: StatementMode }[] = [];
  /** The principal of every check, in order. */
  readonly principals: Principal[] = [];
  /** Every plan handed to checkAnalysis, in order. */
  readonly analyses: unknown[] = [];
  /** Every visible call, in order. */
  readonly visibleCalls: ObjectRef[] = [];
  readonly needsAnalysis: boolean;
  private readonly denied: Set<string>;
  private readonly rule: PolicyRule;
  private readonly onCheck: FakeQueryPolicyOptions['onCheck'];
  private readonly isVisible: (object: ObjectRef) => boolean;

  constructor(options: FakeQueryPolicyOptions = {}) {
    this.denied = new Set([...(options.deny ?? [])].map((s) => s.trim()));
    this.rule = options.rule ?? 'READ_ONLY';
    this.onCheck = options.onCheck;
    this.isVisible = options.visible ?? (() => true);
    this.needsAnalysis = options.needsAnalysis ?? false;
  }

  deny(sql: string): this {
    this.denied.add(sql.trim());
    return this;
  }

  check(statement: Statement, mode: StatementMode, principal: Principal): string | undefined {
    this.calls.push({ sql: statement.text, mode });
    this.principals.push(principal);
    this.onCheck?.(statement, mode, principal);
    if (this.denied.has(statement.text)) throw policyDenied(this.rule, `The fake policy denies: ${statement.text}`);
    return this.needsAnalysis ? statement.analysed : undefined;
  }

  checkAnalysis(plan: unknown): void {
    this.analyses.push(plan);
  }

  /** Every failure of the analysis, in order; it is passed on unchanged. */
  readonly analysisFailures: unknown[] = [];

  analysisFailed(err: unknown): unknown {
    this.analysisFailures.push(err);
    return err;
  }

  visible(object: ObjectRef): boolean {
    this.visibleCalls.push({ ...object });
    return this.isVisible(object);
  }
}
