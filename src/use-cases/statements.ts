import { DomainError, policyDenied } from '../domain/errors.ts';
import type { ExplainType, Principal, TabularResult } from '../domain/model.ts';
import type { QueryPolicy, StatementMode } from '../domain/policy.ts';
import { explainOf, parseStatement, type Statement } from '../domain/statement.ts';
import type { QueryEngine, QueryProgress } from '../ports/query-engine.ts';
import { readCapped, type Call, type QuerySettings } from './call.ts';
import { readLimits, UseCase } from './catalog.ts';
import { singleValueLimit } from './result-budget.ts';

/**
 * The policy step of every statement: the text rules, then, with allowlists, Trino's
 * analysis of what the statement touches. The analysis runs under the call, so it shares
 * the call's one deadline and its one query slot with the query that follows; a statement
 * the text rules refuse never takes a slot.
 */
export async function authorize(
  statement: Statement,
  mode: StatementMode,
  call: Call,
  deps: { policy: QueryPolicy; engine: QueryEngine; settings: QuerySettings },
): Promise<void> {
  const analyse = deps.policy.check(statement, mode, call.principal);
  if (analyse === undefined) return;
  let plan: TabularResult;
  try {
    // The analysis is JSON the policy parses: never cut, and bounded by the byte budget.
    plan = await readCapped(deps.engine, `EXPLAIN (TYPE IO, FORMAT JSON) ${analyse}`, call, {
      ...readLimits(deps.settings),
      maxRows: 10,
      maxValueBytes: Number.POSITIVE_INFINITY,
    });
  } catch (err) {
    throw deps.policy.analysisFailed(err);
  }
  if (plan.truncatedBy === 'bytes') {
    throw policyDenied(
      'ALLOWLIST',
      `Trino's analysis of the statement is larger than the result limit (TRINO_MAX_RESULT_BYTES, ${deps.settings.maxResultBytes} bytes), so the tables it touches cannot be checked; split the statement.`,
    );
  }
  deps.policy.checkAnalysis(plan.rows[0]?.[0]);
}

/** Runs one statement under the policy in the given mode, with the row cap. */
abstract class RunStatement extends UseCase {
  protected abstract readonly mode: StatementMode;

  async execute(
    args: { sql: string; limit?: number | undefined },
    principal: Principal,
    signal: AbortSignal,
    onProgress?: (progress: QueryProgress) => void,
  ): Promise<TabularResult> {
    if (args.limit !== undefined && !(Number.isInteger(args.limit) && args.limit >= 1)) {
      throw new DomainError('INVALID_ARGUMENT', `limit must be a whole number of at least 1, got ${args.limit}.`);
    }
    const statement = parseStatement(args.sql);
    const cap = Math.min(args.limit ?? this.settings.maxRows, this.settings.maxRows);
    return this.call(principal, signal, async (call) => {
      await authorize(statement, this.mode, call, { policy: this.policy, engine: this.engine, settings: this.settings });
      return this.read(statement.text, call, { maxRows: cap });
    }, onProgress);
  }
}

/** execute_query: reads only, always. */
export class ExecuteQuery extends RunStatement {
  protected readonly mode = 'read';
}

/** execute_statement: any statement, when the operator enabled writes and the caller may write. */
export class ExecuteStatement extends RunStatement {
  protected readonly mode = 'write';
}

export class ExplainQuery extends UseCase {
  async execute(
    args: { sql: string; type?: ExplainType | undefined },
    principal: Principal,
    signal: AbortSignal,
    onProgress?: (progress: QueryProgress) => void,
  ): Promise<{ type: ExplainType; plan: string; truncated: boolean }> {
    const type = args.type ?? 'LOGICAL';
    const statement = explainOf(parseStatement(args.sql), type);
    const result = await this.call(principal, signal, async (call) => {
      await authorize(statement, 'read', call, { policy: this.policy, engine: this.engine, settings: this.settings });
      // A plan is one value and the whole answer: it may fill the budget, and is cut with the marker past it.
      return this.read(statement.text, call, {
        maxRows: Number.MAX_SAFE_INTEGER,
        maxValueBytes: singleValueLimit(this.settings.maxResultBytes),
      });
    }, onProgress);
    const plan =
      type === 'VALIDATE'
        ? `valid: ${String(result.rows[0]?.[0])}`
        : result.rows.map((r) => String(r[0])).join('\n');
    return { type, plan, truncated: result.truncated || result.truncatedValues !== undefined };
  }
}
