import { DomainError, isDomainError } from './errors.ts';
import { quoteQualified, resolveTableName } from './identifiers.ts';
import type { Column, ExplainType, NameDefaults, Principal, Row, TableName, TabularResult } from './model.ts';
import { stripTrailingSemicolon } from './sql-lexer.ts';
import type { QueryEngine, QueryRequest } from '../ports/query-engine.ts';
import type { ObjectRef, QueryPolicy, StatementMode } from '../ports/query-policy.ts';

/** Limits every use-case applies (TRINO_MAX_ROWS, TRINO_QUERY_TIMEOUT, TRINO_CATALOG/SCHEMA). */
export interface QuerySettings {
  readonly maxRows: number;
  readonly timeoutMs: number;
  readonly defaults: NameDefaults;
}

/**
 * Runs one statement and reads at most `maxRows` rows. Reading stops at the cap, which
 * cancels the engine query; the timeout cancels it too and becomes a TIMEOUT error.
 */
export async function readCapped(
  engine: QueryEngine,
  request: QueryRequest,
  signal: AbortSignal,
  settings: { maxRows: number; timeoutMs: number },
): Promise<TabularResult> {
  const timeout = AbortSignal.timeout(settings.timeoutMs);
  const combined = AbortSignal.any([signal, timeout]);
  let columns: readonly Column[] = [];
  const rows: Row[] = [];
  let queryId: string | undefined;
  let truncated = false;
  try {
    for await (const event of engine.run(request, combined)) {
      if (event.kind === 'started') queryId = event.queryId;
      else if (event.kind === 'columns') columns = event.columns;
      else {
        const room = settings.maxRows - rows.length;
        if (event.rows.length > room) {
          for (let i = 0; i < room; i++) rows.push(event.rows[i]!);
          truncated = true;
          break; // ends the iteration: the engine cancels the query
        }
        for (const row of event.rows) rows.push(row);
      }
    }
  } catch (err) {
    if (timeout.aborted && !signal.aborted) {
      throw new DomainError(
        'TIMEOUT',
        `The query ran longer than ${Math.round(settings.timeoutMs / 1000)} s and was cancelled.`,
        { ...(queryId ? { queryId } : {}), retryable: false },
        { cause: err },
      );
    }
    if (isDomainError(err) && queryId && !err.details.queryId) {
      throw new DomainError(err.code, err.message, { ...err.details, queryId }, { cause: err.cause });
    }
    throw err;
  }
  return { columns, rows, rowCount: rows.length, truncated, ...(queryId ? { queryId } : {}) };
}

abstract class UseCase {
  constructor(
    protected readonly engine: QueryEngine,
    protected readonly settings: QuerySettings,
    protected readonly policy: QueryPolicy,
  ) {}

  /** Refuses an object outside the allowlist, naming it. */
  protected requireVisible(object: ObjectRef): void {
    if (this.policy.visible(object)) return;
    const name = quoteQualified(...[object.catalog, object.schema, object.table].filter((p): p is string => p !== undefined));
    throw new DomainError('POLICY_DENIED', `${name} is outside this server's allowlist.`, { rule: 'ALLOWLIST' });
  }

  protected read(sql: string, principal: Principal, signal: AbortSignal, maxRows = this.settings.maxRows) {
    const { catalog, schema } = this.settings.defaults;
    return readCapped(this.engine, { sql, principal, catalog, schema }, signal, {
      maxRows,
      timeoutMs: this.settings.timeoutMs,
    });
  }

  protected requireCatalog(catalog: string | undefined): string {
    const c = catalog ?? this.settings.defaults.catalog;
    if (!c) throw new DomainError('INVALID_ARGUMENT', 'No catalog given: pass "catalog" or set TRINO_CATALOG.');
    return c;
  }
}

export interface NameList {
  readonly names: readonly string[];
  readonly truncated: boolean;
}

/** How many names a listing reads before filtering: the cap applies to what is shown, after the allowlist. */
const LISTING_READ_LIMIT = 100_000;

function firstColumn(result: TabularResult, keep: (name: string) => boolean, cap: number): NameList {
  const names = result.rows.map((r) => String(r[0])).filter(keep);
  return { names: names.slice(0, cap), truncated: result.truncated || names.length > cap };
}

/** Names Trino's "does not exist" errors for listings and descriptions as NOT_FOUND. */
function notFound(err: unknown, what: string): never {
  if (isDomainError(err) && err.code === 'QUERY_INVALID') {
    const name = err.details.errorName ?? '';
    if (/_NOT_FOUND$/.test(name)) {
      throw new DomainError('NOT_FOUND', `${what} does not exist (or is not visible to this server's Trino user).`, err.details, {
        cause: err,
      });
    }
  }
  throw err;
}

export class ListCatalogs extends UseCase {
  async execute(principal: Principal, signal: AbortSignal): Promise<NameList> {
    const result = await this.read('SHOW CATALOGS', principal, signal, LISTING_READ_LIMIT);
    return firstColumn(result, (catalog) => this.policy.visible({ catalog }), this.settings.maxRows);
  }
}

export class ListSchemas extends UseCase {
  async execute(args: { catalog?: string | undefined }, principal: Principal, signal: AbortSignal) {
    const catalog = this.requireCatalog(args.catalog);
    this.requireVisible({ catalog });
    try {
      const result = await this.read(`SHOW SCHEMAS FROM ${quoteQualified(catalog)}`, principal, signal, LISTING_READ_LIMIT);
      return { catalog, ...firstColumn(result, (schema) => this.policy.visible({ catalog, schema }), this.settings.maxRows) };
    } catch (err) {
      notFound(err, `Catalog ${quoteQualified(catalog)}`);
    }
  }
}

export class ListTables extends UseCase {
  async execute(args: { catalog?: string | undefined; schema?: string | undefined }, principal: Principal, signal: AbortSignal) {
    const catalog = this.requireCatalog(args.catalog);
    const schema = args.schema ?? this.settings.defaults.schema;
    if (!schema) throw new DomainError('INVALID_ARGUMENT', 'No schema given: pass "schema" or set TRINO_SCHEMA.');
    this.requireVisible({ catalog, schema });
    try {
      const result = await this.read(`SHOW TABLES FROM ${quoteQualified(catalog, schema)}`, principal, signal, LISTING_READ_LIMIT);
      return { catalog, schema, ...firstColumn(result, (table) => this.policy.visible({ catalog, schema, table }), this.settings.maxRows) };
    } catch (err) {
      notFound(err, `Schema ${quoteQualified(catalog, schema)}`);
    }
  }
}

export interface ColumnDescription {
  readonly name: string;
  readonly type: string;
  readonly extra?: string;
  readonly comment?: string;
}

export class DescribeTable extends UseCase {
  async execute(
    args: { table: string; catalog?: string | undefined; schema?: string | undefined },
    principal: Principal,
    signal: AbortSignal,
  ): Promise<TableName & { columns: ColumnDescription[] }> {
    const name = resolveTableName(args.table, args, this.settings.defaults);
    this.requireVisible(name);
    const qualified = quoteQualified(name.catalog, name.schema, name.table);
    let result: TabularResult;
    try {
      // DESCRIBE has no row cap of its own: a table's columns are read whole.
      result = await this.read(`DESCRIBE ${qualified}`, principal, signal, Number.MAX_SAFE_INTEGER);
    } catch (err) {
      notFound(err, `Table ${qualified}`);
    }
    const columns = result.rows.map((r) => {
      const [colName, type, extra, comment] = r as [string, string, string | null, string | null];
      return { name: colName, type, ...(extra ? { extra } : {}), ...(comment ? { comment } : {}) };
    });
    return { ...name, columns };
  }
}

/** Runs one statement under the policy in the given mode, with the row cap. */
abstract class RunStatement extends UseCase {
  protected abstract readonly mode: StatementMode;

  async execute(args: { sql: string; limit?: number | undefined }, principal: Principal, signal: AbortSignal): Promise<TabularResult> {
    if (args.limit !== undefined && !(Number.isInteger(args.limit) && args.limit >= 1)) {
      throw new DomainError('INVALID_ARGUMENT', `limit must be a whole number of at least 1, got ${args.limit}.`);
    }
    await this.policy.authorize(args.sql, { principal, mode: this.mode, signal });
    const cap = Math.min(args.limit ?? this.settings.maxRows, this.settings.maxRows);
    return this.read(stripTrailingSemicolon(args.sql), principal, signal, cap);
  }
}

/** execute_query: reads only, always. */
export class ExecuteQuery extends RunStatement {
  protected readonly mode = 'read';
}

/** execute_statement: any statement, when the operator enabled writes. */
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
    const statement = `EXPLAIN (TYPE ${type}) ${stripTrailingSemicolon(args.sql)}`;
    await this.policy.authorize(statement, { principal, mode: 'read', signal });
    const result = await this.read(statement, principal, signal, Number.MAX_SAFE_INTEGER);
    const plan =
      type === 'VALIDATE'
        ? `valid: ${String(result.rows[0]?.[0])}`
        : result.rows.map((r) => String(r[0])).join('\n');
    return { type, plan };
  }
}
