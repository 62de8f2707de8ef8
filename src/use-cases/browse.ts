import { DomainError, isDomainError } from '../domain/errors.ts';
import { quoteLiteral, quoteQualified } from '../domain/identifiers.ts';
import type { Principal } from '../domain/model.ts';
import type { ObjectRef } from '../domain/policy.ts';
import { hasPrefix, MAX_PATTERN_LENGTH } from '../domain/search-pattern.ts';
import type { Call } from './call.ts';
import { UseCase } from './catalog.ts';

/**
 * Where a walk over every visible object stands: in `catalog`, after `offset` of its
 * entries (entry 0 is the catalog itself, then its schemas and tables in name order, as
 * Trino lists them, before the allowlist filters them).
 */
export interface BrowsePosition {
  readonly catalog: string;
  readonly offset: number;
}

export interface BrowsePage {
  readonly objects: ObjectRef[];
  /** Where the next page starts; absent on the last page. */
  readonly next?: BrowsePosition;
}

/** A page never runs more than this many listing queries, however many catalogs are empty or hidden. */
const QUERIES_PER_PAGE = 8;

/** Names are never cut: a cut name is no name (see catalog.ts LISTING_READ). */
const NAMES = { maxValueBytes: Number.POSITIVE_INFINITY };

/** Every catalog, schema and table the allowlist shows, a page at a time (resources/list). */
export class BrowseObjects extends UseCase {
  async page(from: BrowsePosition | undefined, pageSize: number, principal: Principal, signal: AbortSignal): Promise<BrowsePage> {
    return this.call(principal, signal, async (call) => {
      const catalogs = await this.visibleCatalogs(call);
      let i = from ? catalogs.indexOf(from.catalog) : 0;
      if (i < 0) throw new DomainError('INVALID_ARGUMENT', 'The cursor names no catalog this server lists: start again without a cursor.');
      let offset = from?.offset ?? 0;
      const objects: ObjectRef[] = [];
      for (let queries = 0; i < catalogs.length && objects.length < pageSize && queries < QUERIES_PER_PAGE; queries++) {
        const catalog = catalogs[i]!;
        if (offset === 0) {
          objects.push({ catalog });
          offset = 1;
        }
        const want = pageSize - objects.length;
        if (want === 0) break;
        const rows = await this.entries(call, catalog, offset - 1, want);
        for (const [schema, table] of rows) {
          const object = table === null ? { catalog, schema } : { catalog, schema, table };
          if (this.policy.visible(object)) objects.push(object);
        }
        offset += rows.length;
        if (rows.length < want) {
          i++;
          offset = 0;
        }
      }
      return i < catalogs.length ? { objects, next: { catalog: catalogs[i]!, offset } } : { objects };
    });
  }

  private async visibleCatalogs(call: Call): Promise<string[]> {
    const result = await this.read('SHOW CATALOGS', call, { maxRows: 100_000, ...NAMES });
    return result.rows.map((r) => String(r[0])).filter((catalog) => this.policy.visible({ catalog }));
  }

  /** A catalog's schemas (table null) and tables, in one order, from `skip` on; a catalog Trino cannot list has none. */
  private async entries(call: Call, catalog: string, skip: number, count: number): Promise<Array<[string, string | null]>> {
    const sql =
      `SELECT schema_name, CAST(NULL AS varchar) FROM ${quoteQualified(catalog, 'information_schema', 'schemata')} WHERE schema_name <> 'information_schema' ` +
      `UNION ALL SELECT table_schema, table_name FROM ${quoteQualified(catalog, 'information_schema', 'tables')} WHERE table_schema <> 'information_schema' ` +
      `ORDER BY 1, 2 NULLS FIRST OFFSET ${skip} LIMIT ${count}`;
    try {
      const result = await this.read(sql, call, { maxRows: count, ...NAMES });
      if (result.truncatedBy === 'bytes') {
        throw new DomainError('INVALID_ARGUMENT', 'A page of names exceeds the result limit (TRINO_MAX_RESULT_BYTES).');
      }
      return result.rows.map((r) => [String(r[0]), r[1] === null ? null : String(r[1])]);
    } catch (err) {
      if (isDomainError(err) && err.code === 'QUERY_INVALID' && !call.signal.aborted) return [];
      throw err;
    }
  }
}

export type NameKind = 'catalog' | 'schema' | 'table';

export interface NameCompletion {
  readonly values: string[];
  readonly hasMore: boolean;
}

/** The most names a completion may carry (the MCP limit). */
export const MAX_COMPLETIONS = 100;

/**
 * Names that start with a prefix, for completion/complete: Trino filters by the prefix
 * (SHOW … LIKE), the allowlist after. A name Trino cannot list (missing catalog or schema)
 * completes to nothing rather than an error: completion is a hint.
 */
export class CompleteNames extends UseCase {
  async execute(
    args: { kind: NameKind; prefix: string; catalog?: string | undefined; schema?: string | undefined },
    principal: Principal,
    signal: AbortSignal,
  ): Promise<NameCompletion> {
    const none = { values: [], hasMore: false };
    const prefix = args.prefix.toLowerCase();
    if (prefix.length > MAX_PATTERN_LENGTH) return none;
    const catalog = args.catalog ?? this.settings.defaults.catalog;
    const schema = args.schema ?? this.settings.defaults.schema;
    const like = `LIKE ${quoteLiteral(`${prefix.replace(/[%_\\]/g, '\\$&')}%`)} ESCAPE '\\'`;
    let sql: string;
    let object: (name: string) => ObjectRef;
    if (args.kind === 'catalog') {
      sql = `SHOW CATALOGS ${like}`;
      object = (name) => ({ catalog: name });
    } else if (args.kind === 'schema') {
      if (!catalog || !this.policy.visible({ catalog })) return none;
      sql = `SHOW SCHEMAS FROM ${quoteQualified(catalog)} ${like}`;
      object = (name) => ({ catalog, schema: name });
    } else {
      if (!catalog || !schema || !this.policy.visible({ catalog, schema })) return none;
      sql = `SHOW TABLES FROM ${quoteQualified(catalog, schema)} ${like}`;
      object = (name) => ({ catalog, schema, table: name });
    }
    try {
      const result = await this.call(principal, signal, (call) => this.read(sql, call, { maxRows: 1000, ...NAMES }));
      const names = result.rows
        .map((r) => String(r[0]))
        .filter((name) => hasPrefix(name, prefix) && this.policy.visible(object(name)));
      return { values: names.slice(0, MAX_COMPLETIONS), hasMore: names.length > MAX_COMPLETIONS || result.truncated };
    } catch (err) {
      if (isDomainError(err) && err.code === 'QUERY_INVALID') return none;
      throw err;
    }
  }
}
