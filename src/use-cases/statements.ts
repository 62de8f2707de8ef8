import { DomainError } from '../domain/errors.ts';
import type { ExplainType, NameDefaults, Principal, TabularResult } from '../domain/model.ts';
import type { QueryPolicy, StatementMode } from '../domain/policy.ts';
import { explainOf, parseStatement, type Statement } from '../domain/statement.ts';
import type { QueryEngine } from '../ports/query-engine.ts';
import { readCapped, type Call } from './call.ts';
import { UseCase } from './catalog.ts';

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
  deps: { policy: QueryPolicy; engine: QueryEngine; defaults: NameDefaults },
): Promise<void> {
  const analyse = deps.policy.check(statement, mode, call.principal);
  if (analyse === undefined) return;
  let plan: TabularResult;
  try {
    plan = await readCapped(deps.engine, `EXPLAIN (TYPE IO, FORMAT JSON) ${analyse}`, call, { maxRows: 10, defaults: deps.defaults });
  } catch (err) {
    throw deps.policy.analysisFailed(err);
  }
  deps.policy.checkAnalysis(plan.rows[0]?.[0]);
}

/** Runs one statement under the policy in the given mode, with the row cap. */
abstract class RunStatement extends UseCase {
  protected abstract readonly mode: StatementMode;

  async execute(args: { sql: string; limit?: number | undefined }, principal: Principal, signal: AbortSignal): Promise<TabularResult> {
    if (args.limit !== undefined && !(Number.isInteger(args.limit) && args.limit >= 1)) {
      throw new DomainError('INVALID_ARGUMENT', `limit must be a whole number of at least 1, got ${args.limit}.`);
    }
    const statement = parseStatement(args.sql);
    const cap = Math.min(args.limit ?? this.settings.maxRows, this.settings.maxRows);
    return this.call(principal, signal, async (call) => {
      await authorize(statement, this.mode, call, { policy: this.policy, engine: this.engine, defaults: this.settings.defaults });
      return this.read(statement.text, call, cap);
    });
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
  ): Promise<{ type: ExplainType; plan: string }> {
    const type = args.type ?? 'LOGICAL';
    const statement = explainOf(parseStatement(args.sql), type);
    const result = await this.call(principal, signal, async (call) => {
      await authorize(statement, 'read', call, { policy: this.policy, engine: this.engine, defaults: this.settings.defaults });
      return this.read(statement.text, call, Number.MAX_SAFE_INTEGER);
    });
    const plan =
      type === 'VALIDATE'
        ? `valid: ${String(result.rows[0]?.[0])}`
        : result.rows.map((r) => String(r[0])).join('\n');
    return { type, plan };
  }
}
