import { DomainError, isDomainError } from '../domain/errors.ts';
import { quoteQualified, resolveTableName } from '../domain/identifiers.ts';
import type { Principal, TableName, TabularResult, Truncation } from '../domain/model.ts';
import type { ObjectRef, QueryPolicy } from '../domain/policy.ts';
import type { QueryEngine, QueryProgress } from '../ports/query-engine.ts';
import { Call, readCapped, type QuerySettings, type ReadLimits } from './call.ts';
import type { QuerySlots } from './query-slots.ts';

/** What every use-case is built from. */
export abstract class UseCase {
  constructor(
    protected readonly engine: QueryEngine,
    protected readonly settings: QuerySettings,
    protected readonly policy: QueryPolicy,
    private readonly slots: QuerySlots,
  ) {}

  /**
   * Runs `work` as one call: one deadline (TRINO_QUERY_TIMEOUT unless a shorter one is given),
   * one query slot, given back however the call ends.
   */
  protected async call<T>(
    principal: Principal,
    signal: AbortSignal,
    work: (call: Call) => Promise<T>,
    timeoutMs = this.settings.timeoutMs,
    onProgress?: (progress: QueryProgress) => void,
  ): Promise<T> {
    const call = new Call(principal, signal, timeoutMs, this.slots, onProgress);
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

  /** Reads under the settings' limits; `limits` overrides some of them for one read. */
  protected read(sql: string, call: Call, limits: Partial<Omit<ReadLimits, 'defaults'>> = {}): Promise<TabularResult> {
    return readCapped(this.engine, sql, call, { ...readLimits(this.settings), ...limits });
  }

  protected requireCatalog(catalog: string | undefined): string {
    const c = catalog ?? this.settings.defaults.catalog;
    if (!c) throw new DomainError('INVALID_ARGUMENT', 'No catalog given: pass "catalog" or set TRINO_CATALOG.');
    return c;
  }
}

/** The limits of an ordinary read: the settings' row cap and byte budget. */
export function readLimits(settings: QuerySettings): ReadLimits {
  return {
    maxRows: settings.maxRows,
    maxBytes: settings.maxResultBytes,
    maxValueBytes: settings.maxValueBytes,
    defaults: settings.defaults,
  };
}

export interface NameList {
  readonly names: readonly string[];
  readonly truncated: boolean;
  /** When truncated: the row cap (of names shown) or the byte budget (of names read). */
  readonly truncatedBy?: Truncation;
}

/**
 * How a listing reads before filtering: the row cap applies to what is shown, after the
 * allowlist; the byte budget to everything read. Names are never cut (a cut name is no
 * name, and the allowlist must judge the real one): a name past the budget ends the listing.
 */
const LISTING_READ = { maxRows: 100_000, maxValueBytes: Number.POSITIVE_INFINITY };

function firstColumn(result: TabularResult, keep: (name: string) => boolean, cap: number): NameList {
  const names = result.rows.map((r) => String(r[0])).filter(keep);
  const truncatedBy = names.length > cap ? 'rows' : result.truncatedBy;
  return { names: names.slice(0, cap), truncated: truncatedBy !== undefined, ...(truncatedBy ? { truncatedBy } : {}) };
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
    const result = await this.call(principal, signal, (call) => this.read('SHOW CATALOGS', call, LISTING_READ));
    return firstColumn(result, (catalog) => this.policy.visible({ catalog }), this.settings.maxRows);
  }
}

export class ListSchemas extends UseCase {
  async execute(args: { catalog?: string | undefined }, principal: Principal, signal: AbortSignal) {
    const catalog = this.requireCatalog(args.catalog);
    this.requireVisible({ catalog });
    try {
      const sql = `SHOW SCHEMAS FROM ${quoteQualified(catalog)}`;
      const result = await this.call(principal, signal, (call) => this.read(sql, call, LISTING_READ));
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
      const result = await this.call(principal, signal, (call) => this.read(sql, call, LISTING_READ));
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

/**
 * What get_table_schema's answer adds to a DESCRIBE row: `{"name":,"type":,"extra":,"comment":},`
 * is 38 bytes of framing where the row rule already counts 6 (four separators, brackets).
 */
const DESCRIBED_COLUMN_FIELDS = 32;

export type TableDescription = TableName & { columns: ColumnDescription[]; truncated: boolean };

export class DescribeTable<A extends DescribeArgs = DescribeArgs, R extends TableDescription = TableDescription> extends UseCase {
  async execute(args: A, principal: Principal, signal: AbortSignal): Promise<R> {
    const name = resolveTableName(args.table, args, this.settings.defaults);
    this.requireVisible(name);
    return this.call(principal, signal, (call) => this.describe(call, name, args));
  }

  /** What the answer holds, read under the call (a subclass adds to it in the same call). */
  protected async describe(call: Call, name: TableName, _args: A): Promise<R> {
    const qualified = quoteQualified(name.catalog, name.schema, name.table);
    let result: TabularResult;
    try {
      // No row cap: a table's columns are read whole, up to the byte budget (a comment or
      // type past the value limit is cut with the marker, like any value).
      const limits = { maxRows: Number.MAX_SAFE_INTEGER, rowOverheadBytes: DESCRIBED_COLUMN_FIELDS };
      result = await this.read(`DESCRIBE ${qualified}`, call, limits);
    } catch (err) {
      notFound(err, `Table ${qualified}`);
    }
    const columns = result.rows.map((r) => {
      const [colName, type, extra, comment] = r as [string, string, string | null, string | null];
      return { name: colName, type, ...(extra ? { extra } : {}), ...(comment ? { comment } : {}) };
    });
    return { ...name, columns, truncated: result.truncated } as R;
  }
}

export interface DescribeArgs {
  readonly table: string;
  readonly catalog?: string | undefined;
  readonly schema?: string | undefined;
}
