import { DomainError, isDomainError } from '../domain/errors.ts';
import { quoteQualified, resolveTableName } from '../domain/identifiers.ts';
import type { Principal, TableName, TabularResult } from '../domain/model.ts';
import type { ObjectRef, QueryPolicy } from '../domain/policy.ts';
import type { QueryEngine } from '../ports/query-engine.ts';
import { Call, readCapped, type QuerySettings } from './call.ts';
import type { QuerySlots } from './query-slots.ts';

/** What every use-case is built from. */
export abstract class UseCase {
  constructor(
    protected readonly engine: QueryEngine,
    protected readonly settings: QuerySettings,
    protected readonly policy: QueryPolicy,
    private readonly slots: QuerySlots,
  ) {}

  /** Runs `work` as one call: one deadline, one query slot, given back however the call ends. */
  protected async call<T>(principal: Principal, signal: AbortSignal, work: (call: Call) => Promise<T>): Promise<T> {
    const call = new Call(principal, signal, this.settings.timeoutMs, this.slots);
    try {
      return await work(call);
    } finally {
      call.end();
    }
  }

  /** Refuses an object outside the allowlist, naming it. */
  protected requireVisible(object: ObjectRef): void {
    if (this.policy.visible(object)) return;
    const name = quoteQualified(...[object.catalog, object.schema, object.table].filter((p): p is string => p !== undefined));
    throw new DomainError('POLICY_DENIED', `${name} is outside this server's allowlist.`, { rule: 'ALLOWLIST' });
  }

  protected read(sql: string, call: Call, maxRows = this.settings.maxRows): Promise<TabularResult> {
    return readCapped(this.engine, sql, call, { maxRows, defaults: this.settings.defaults });
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
    const result = await this.call(principal, signal, (call) => this.read('SHOW CATALOGS', call, LISTING_READ_LIMIT));
    return firstColumn(result, (catalog) => this.policy.visible({ catalog }), this.settings.maxRows);
  }
}

export class ListSchemas extends UseCase {
  async execute(args: { catalog?: string | undefined }, principal: Principal, signal: AbortSignal) {
    const catalog = this.requireCatalog(args.catalog);
    this.requireVisible({ catalog });
    try {
      const sql = `SHOW SCHEMAS FROM ${quoteQualified(catalog)}`;
      const result = await this.call(principal, signal, (call) => this.read(sql, call, LISTING_READ_LIMIT));
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
      const sql = `SHOW TABLES FROM ${quoteQualified(catalog, schema)}`;
      const result = await this.call(principal, signal, (call) => this.read(sql, call, LISTING_READ_LIMIT));
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
      result = await this.call(principal, signal, (call) => this.read(`DESCRIBE ${qualified}`, call, Number.MAX_SAFE_INTEGER));
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
