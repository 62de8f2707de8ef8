import { Buffer } from 'node:buffer';
import { DomainError, isDomainError } from '../domain/errors.ts';
import { quoteLiteral, quoteQualified } from '../domain/identifiers.ts';
import type { Principal, TabularResult } from '../domain/model.ts';
import { namePattern, type NamePattern } from '../domain/search-pattern.ts';
import type { QueryPolicy } from '../domain/policy.ts';
import type { QueryEngine } from '../ports/query-engine.ts';
import type { Call, QuerySettings } from './call.ts';
import type { QuerySlots } from './query-slots.ts';
import { UseCase } from './catalog.ts';

export type SearchKind = 'table' | 'column';

export interface SearchArgs {
  readonly pattern: string;
  readonly catalog?: string | undefined;
  readonly schema?: string | undefined;
  readonly kind?: SearchKind | undefined;
  readonly limit?: number | undefined;
}

export interface SearchHit {
  readonly catalog: string;
  readonly schema: string;
  readonly table: string;
  readonly column?: string;
  readonly type?: string;
  readonly comment?: string;
}

/** Why a catalog was not searched to the end. */
export type SkipReason = 'slow' | 'failed' | 'time' | 'scan';

export interface SearchResult {
  readonly kind: SearchKind;
  readonly matches: SearchHit[];
  /** True when more matches may exist than were returned: the limit or the byte budget was reached, or a catalog was skipped. */
  readonly truncated: boolean;
  readonly truncatedBy?: 'rows' | 'bytes';
  /** Catalogs searched to the end. */
  readonly searched: string[];
  /** Catalogs not searched, or not to the end, and why. */
  readonly skipped: Array<{ catalog: string; reason: SkipReason }>;
}

/**
 * How far one catalog is read. A catalog's share of the call is a quarter of
 * TRINO_QUERY_TIMEOUT (at least a second): one slow catalog costs that share, is named in
 * `skipped`, and the others are still searched. Rows: the engine filters by the pattern,
 * the allowlist filters after, so at most this many candidate rows are read per catalog.
 */
export interface SearchLimits {
  readonly catalogTimeoutMs: number;
  readonly scanRows: number;
}

export function searchLimits(timeoutMs: number): SearchLimits {
  return { catalogTimeoutMs: Math.max(1000, Math.floor(timeoutMs / 4)), scanRows: 1000 };
}

/** Tables whose column comments a column search reads (one DESCRIBE each). */
export const COMMENTED_TABLES = 10;

/** Matches shown unless `limit` says otherwise. */
export const DEFAULT_SEARCH_LIMIT = 50;

/** A hit's weight in the answer: its JSON in structuredContent, again in the text, and its table's resource link (never longer). */
const hitBytes = (hit: SearchHit) => 3 * (Buffer.byteLength(JSON.stringify(hit)) + 1);

/** search_tables: tables or columns whose name matches, across the catalogs the allowlist shows. */
export class SearchTables extends UseCase {
  private readonly limits: SearchLimits;

  constructor(engine: QueryEngine, settings: QuerySettings, policy: QueryPolicy, slots: QuerySlots, limits?: Partial<SearchLimits>) {
    super(engine, settings, policy, slots);
    this.limits = { ...searchLimits(settings.timeoutMs), ...limits };
  }

  async execute(args: SearchArgs, principal: Principal, signal: AbortSignal): Promise<SearchResult> {
    const pattern = namePattern(args.pattern);
    const kind = args.kind ?? 'table';
    if (args.limit !== undefined && !(Number.isInteger(args.limit) && args.limit >= 1)) {
      throw new DomainError('INVALID_ARGUMENT', `limit must be a whole number of at least 1, got ${args.limit}.`);
    }
    const limit = Math.min(args.limit ?? DEFAULT_SEARCH_LIMIT, this.settings.maxRows);
    if (args.schema !== undefined && args.catalog === undefined) {
      throw new DomainError('INVALID_ARGUMENT', 'schema needs catalog: pass both, or neither to search every catalog.');
    }
    if (args.catalog !== undefined) this.requireVisible({ catalog: args.catalog, schema: args.schema });

    // One deadline for the whole search; each catalog gets its share of it at most.
    const deadline = AbortSignal.timeout(this.settings.timeoutMs);
    const overall = AbortSignal.any([signal, deadline]);
    const catalogs = args.catalog !== undefined ? [args.catalog] : await this.catalogs(principal, overall);
    const result: { matches: SearchHit[]; searched: string[]; skipped: SearchResult['skipped'] } = { matches: [], searched: [], skipped: [] };
    let bytes = 0;
    let truncatedBy: 'rows' | 'bytes' | undefined;
    const started = performance.now();
    for (const [i, catalog] of catalogs.entries()) {
      const left = this.settings.timeoutMs - (performance.now() - started);
      if (deadline.aborted || left <= 0) {
        result.skipped.push(...catalogs.slice(i).map((c) => ({ catalog: c, reason: 'time' as const })));
        break;
      }
      const wanted = limit - result.matches.length + 1; // one more than shown tells "there are more"
      let hits: { hits: SearchHit[]; complete: boolean };
      try {
        hits = await this.call(principal, overall, (call) => this.searchCatalog(call, catalog, args.schema, kind, pattern, wanted), Math.min(this.limits.catalogTimeoutMs, left));
      } catch (err) {
        if (signal.aborted) throw err;
        const reason = skipReason(err, deadline);
        if (!reason) throw err;
        result.skipped.push({ catalog, reason });
        continue;
      }
      if (!hits.complete) result.skipped.push({ catalog, reason: 'scan' });
      else result.searched.push(catalog);
      for (const hit of hits.hits) {
        if (result.matches.length >= limit) truncatedBy = 'rows';
        else if (bytes + hitBytes(hit) > this.settings.maxResultBytes) truncatedBy = 'bytes';
        else {
          result.matches.push(hit);
          bytes += hitBytes(hit);
          continue;
        }
        break;
      }
      if (truncatedBy) {
        const later = catalogs.slice(i + 1);
        if (later.length > 0 && truncatedBy === 'bytes') result.skipped.push(...later.map((c) => ({ catalog: c, reason: 'time' as const })));
        break;
      }
    }
    return {
      kind,
      ...result,
      truncated: truncatedBy !== undefined || result.skipped.length > 0,
      ...(truncatedBy ? { truncatedBy } : {}),
    };
  }

  private async catalogs(principal: Principal, signal: AbortSignal): Promise<string[]> {
    const result = await this.call(principal, signal, (call) => this.read('SHOW CATALOGS', call, { maxRows: 100_000, maxValueBytes: Number.POSITIVE_INFINITY }));
    return result.rows.map((r) => String(r[0])).filter((catalog) => this.policy.visible({ catalog }));
  }

  /** One catalog's matches the allowlist shows, at most `wanted`; `complete` unless the scan cap cut the candidates short. */
  private async searchCatalog(
    call: Call,
    catalog: string,
    schema: string | undefined,
    kind: SearchKind,
    pattern: NamePattern,
    wanted: number,
  ): Promise<{ hits: SearchHit[]; complete: boolean }> {
    const scan = this.limits.scanRows;
    const read = (sql: string) => this.read(sql, call, { maxRows: scan, maxValueBytes: Number.POSITIVE_INFINITY });
    const like = `LIKE ${quoteLiteral(pattern.like)} ESCAPE '\\'`;
    // information_schema describes itself in every catalog: noise in a search, never data.
    const inSchema = schema !== undefined ? `= ${quoteLiteral(schema)}` : `<> 'information_schema'`;
    const candidates =
      kind === 'table'
        ? await read(
            `SELECT table_schema, table_name FROM ${quoteQualified(catalog, 'information_schema', 'tables')} ` +
              `WHERE table_schema ${inSchema} AND lower(table_name) ${like} ORDER BY 1, 2 LIMIT ${scan + 1}`,
          )
        : await read(
            `SELECT table_schema, table_name, column_name, data_type FROM ${quoteQualified(catalog, 'information_schema', 'columns')} ` +
              `WHERE table_schema ${inSchema} AND lower(column_name) ${like} ORDER BY 1, 2, ordinal_position LIMIT ${scan + 1}`,
          );
    const complete = !candidates.truncated;
    const hits = visibleHits(candidates, catalog, kind)
      .filter((h) => this.policy.visible(h) && pattern.matches(kind === 'table' ? h.table : (h.column ?? '')))
      .slice(0, wanted);
    return { hits: await this.withComments(call, catalog, hits), complete };
  }

  /**
   * Table comments of the hits, one query per schema among them (Trino reads a comment
   * per table, so the query names the tables it needs instead of the whole catalog).
   * Comments are extra: a failure leaves the hits without them.
   */
  private async withComments(call: Call, catalog: string, hits: SearchHit[]): Promise<SearchHit[]> {
    const comments = new Map<string, string>();
    const schemas = [...new Set(hits.map((h) => h.schema))];
    for (const schema of schemas) {
      const tables = [...new Set(hits.filter((h) => h.schema === schema).map((h) => h.table))];
      const sql =
        `SELECT table_name, comment FROM system.metadata.table_comments WHERE catalog_name = ${quoteLiteral(catalog)} ` +
        `AND schema_name = ${quoteLiteral(schema)} AND table_name IN (${tables.map(quoteLiteral).join(', ')}) AND comment IS NOT NULL`;
      try {
        const result = await this.read(sql, call, { maxRows: tables.length });
        for (const [table, comment] of result.rows) comments.set(`${schema}\u0000${String(table)}`, String(comment));
      } catch (err) {
        if (call.signal.aborted || !isDomainError(err) || err.code !== 'QUERY_INVALID') throw err;
      }
    }
    const columnComments = await this.columnComments(call, catalog, hits);
    return hits.map((h) => {
      const comment = h.column === undefined ? comments.get(`${h.schema}\u0000${h.table}`) : columnComments.get(`${h.schema}\u0000${h.table}\u0000${h.column}`);
      return comment ? { ...h, comment } : h;
    });
  }

  /**
   * Column comments live only in each table's own description (information_schema.columns
   * has none): one DESCRIBE per table with matching columns, for the first
   * COMMENTED_TABLES of them; columns of later tables come without their comment.
   */
  private async columnComments(call: Call, catalog: string, hits: SearchHit[]): Promise<Map<string, string>> {
    const comments = new Map<string, string>();
    const tables = [...new Map(hits.filter((h) => h.column !== undefined).map((h) => [`${h.schema}\u0000${h.table}`, h])).values()];
    for (const t of tables.slice(0, COMMENTED_TABLES)) {
      try {
        const result = await this.read(`DESCRIBE ${quoteQualified(catalog, t.schema, t.table)}`, call, { maxRows: this.limits.scanRows });
        for (const [column, , , comment] of result.rows) {
          if (typeof comment === 'string' && comment.length > 0) comments.set(`${t.schema}\u0000${t.table}\u0000${String(column)}`, comment);
        }
      } catch (err) {
        if (call.signal.aborted || !isDomainError(err) || err.code !== 'QUERY_INVALID') throw err;
      }
    }
    return comments;
  }
}

function visibleHits(result: TabularResult, catalog: string, kind: SearchKind): SearchHit[] {
  return result.rows.map((r) => {
    const [schema, table, column, type] = r.map((v) => String(v));
    return kind === 'table' ? { catalog, schema: schema!, table: table! } : { catalog, schema: schema!, table: table!, column: column!, type: type! };
  });
}

/** A catalog that fails on its own is skipped, named; a failure of the whole call is not. */
function skipReason(err: unknown, deadline: AbortSignal): SkipReason | undefined {
  if (!isDomainError(err)) return undefined;
  if (deadline.aborted) return 'time';
  if (err.code === 'TIMEOUT') return 'slow';
  if (err.code === 'QUERY_INVALID') return 'failed';
  return undefined;
}
