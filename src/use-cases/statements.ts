import { DomainError, policyDenied } from '../domain/errors.ts';
import type { ExplainType, Principal, TabularResult } from '../domain/model.ts';
import type { QueryPolicy, StatementMode } from '../domain/policy.ts';
import { explainOf, parseStatement, type Statement } from '../domain/statement.ts';
import type { QueryEngine, QueryProgress } from '../ports/query-engine.ts';
import type { QuerySlots } from './query-slots.ts';
import { readCapped, readEvents, type Call, type QuerySettings } from './call.ts';
import { fetchPage, pageOf, type PagedResult, type ResultPages } from './pages.ts';
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
  ): Promise<PagedResult> {
    if (args.limit !== undefined && !(Number.isInteger(args.limit) && args.limit >= 1)) {
      throw new DomainError('INVALID_ARGUMENT', `limit must be a whole number of at least 1, got ${args.limit}.`);
    }
    const statement = parseStatement(args.sql);
    const cap = Math.min(args.limit ?? this.settings.maxRows, this.settings.maxRows);
    return this.call(principal, signal, async (call) => {
      await authorize(statement, this.mode, call, { policy: this.policy, engine: this.engine, settings: this.settings });
      return this.readStatement(statement.text, call, cap);
    }, undefined, onProgress);
  }

  protected readStatement(sql: string, call: Call, cap: number): Promise<PagedResult> {
    return this.read(sql, call, { maxRows: cap });
  }
}

/** execute_query: reads only, always; with pages, a result cut at a limit stays open for fetch_more. */
export class ExecuteQuery extends RunStatement {
  protected readonly mode = 'read';

  /** With `pages`, a result cut at a limit is kept open, with a cursor for fetch_more. */
  constructor(engine: QueryEngine, settings: QuerySettings, policy: QueryPolicy, slots: QuerySlots, private readonly pages?: ResultPages) {
    super(engine, settings, policy, slots);
  }

  protected override async readStatement(sql: string, call: Call, cap: number): Promise<PagedResult> {
    const pages = this.pages;
    if (!pages) return super.readStatement(sql, call, cap);
    const { catalog, schema } = this.settings.defaults;
    const expiresAt = pages.firstPageExpiry();
    const read = await readEvents(
      (signal) => this.engine.run({ sql, principal: call.principal, catalog, schema, keepOpen: true }, signal),
      call,
      { ...readLimits(this.settings), maxRows: cap },
    );
    return pageOf(read, call, pages, cap, expiresAt);
  }
}

/** fetch_more: the next page of an execute_query result. */
export class FetchMore extends UseCase {
  constructor(engine: QueryEngine, settings: QuerySettings, policy: QueryPolicy, slots: QuerySlots, private readonly pages: ResultPages) {
    super(engine, settings, policy, slots);
  }

  async execute(args: { cursor: string; limit?: number | undefined }, principal: Principal, signal: AbortSignal): Promise<PagedResult> {
    if (args.limit !== undefined && !(Number.isInteger(args.limit) && args.limit >= 1)) {
      throw new DomainError('INVALID_ARGUMENT', `limit must be a whole number of at least 1, got ${args.limit}.`);
    }
    const limits = readLimits(this.settings);
    return this.call(principal, signal, (call) => fetchPage(args, call, { engine: this.engine, pages: this.pages, limits }));
  }
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
    }, undefined, onProgress);
    const plan =
      type === 'VALIDATE'
        ? `valid: ${String(result.rows[0]?.[0])}`
        : result.rows.map((r) => String(r[0])).join('\n');
    return { type, plan, truncated: result.truncated || result.truncatedValues !== undefined };
  }
}
