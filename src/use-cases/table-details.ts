import { Buffer } from 'node:buffer';
import { isDomainError } from '../domain/errors.ts';
import { quoteLiteral, quoteQualified } from '../domain/identifiers.ts';
import type { Column, Row, TableName, TabularResult, Truncation } from '../domain/model.ts';
import { parseStatement } from '../domain/statement.ts';
import type { Call } from './call.ts';
import { DescribeTable, type DescribeArgs, type TableDescription } from './catalog.ts';
import { authorize } from './statements.ts';

/** What get_table_schema may add on request. */
export const TABLE_EXTRAS = ['sample', 'stats'] as const;
export type TableExtra = (typeof TABLE_EXTRAS)[number];

/** At most this many sample rows: a sample shows what values look like, it is not a query. */
export const SAMPLE_ROWS = 10;

/** Rows of a sample or of SHOW STATS, as far as the byte budget let them. */
export interface TableRows {
  readonly columns: readonly Column[];
  readonly rows: readonly Row[];
  readonly truncated: boolean;
  readonly truncatedBy?: Truncation;
  readonly truncatedValues?: number;
}

export type DetailedDescription = TableDescription & { comment?: string; sample?: TableRows; stats?: TableRows };

export interface DetailedArgs extends DescribeArgs {
  readonly include?: readonly TableExtra[] | undefined;
}

/** What an answer part weighs: its JSON in structuredContent, and again in the text. */
const weight = (value: unknown) => 2 * Buffer.byteLength(JSON.stringify(value));

/**
 * get_table_schema: the columns, the table's comment, and on request sample rows and
 * SHOW STATS, all in one call (one deadline, one slot). The byte budget is shared: the
 * columns come first, the sample gets what they leave, the statistics what is left after
 * that. The sample and the statistics are statements like any read: the policy and, with
 * allowlists, Trino's analysis judge them (a view can read tables its name does not show).
 */
export class DescribeTableDetailed extends DescribeTable<DetailedArgs, DetailedDescription> {
  protected override async describe(call: Call, name: TableName, args: DetailedArgs): Promise<DetailedDescription> {
    const base = await super.describe(call, name, args);
    const comment = await this.tableComment(call, name);
    let left = this.settings.maxResultBytes - weight(base) - (comment ? weight(comment) : 0);
    const include = new Set(args.include ?? []);
    const qualified = quoteQualified(name.catalog, name.schema, name.table);
    let sample: TableRows | undefined;
    let stats: TableRows | undefined;
    // Columns cut by the budget leave nothing for the rest: asked-for parts then come back empty and truncated.
    if (base.truncated) left = 0;
    if (include.has('sample')) {
      sample = await this.rowsOf(`SELECT * FROM ${qualified} LIMIT ${SAMPLE_ROWS}`, call, left, SAMPLE_ROWS);
      left -= weight(sample);
    }
    if (include.has('stats')) stats = await this.rowsOf(`SHOW STATS FOR ${qualified}`, call, left, Number.MAX_SAFE_INTEGER);
    return { ...base, ...(comment ? { comment } : {}), ...(sample ? { sample } : {}), ...(stats ? { stats } : {}) };
  }

  /** The comment Trino keeps for the table, if any; a connector that cannot say leaves it out. */
  private async tableComment(call: Call, name: TableName): Promise<string | undefined> {
    const sql =
      `SELECT comment FROM system.metadata.table_comments WHERE catalog_name = ${quoteLiteral(name.catalog)} ` +
      `AND schema_name = ${quoteLiteral(name.schema)} AND table_name = ${quoteLiteral(name.table)}`;
    try {
      const result = await this.read(sql, call, { maxRows: 1 });
      const value = result.rows[0]?.[0];
      return typeof value === 'string' && value.length > 0 ? value : undefined;
    } catch (err) {
      if (isDomainError(err) && err.code === 'QUERY_INVALID' && !call.signal.aborted) return undefined;
      throw err;
    }
  }

  /** Runs a read under the policy with what is left of the budget; nothing left is an empty, truncated answer. */
  private async rowsOf(sql: string, call: Call, maxBytes: number, maxRows: number): Promise<TableRows> {
    const empty = { columns: [], rows: [], truncated: true, truncatedBy: 'bytes' as const };
    if (maxBytes <= 0) return empty;
    const statement = parseStatement(sql);
    await authorize(statement, 'read', call, { policy: this.policy, engine: this.engine, settings: this.settings });
    let result: TabularResult;
    try {
      result = await this.read(statement.text, call, { maxRows, maxBytes });
    } catch (err) {
      // The header alone does not fit what is left: the part is left out, and says so.
      if (isDomainError(err) && err.code === 'INVALID_ARGUMENT') return empty;
      throw err;
    }
    const { columns, rows, truncatedBy, truncatedValues } = result;
    // Only the budget cuts these short: a sample that stops at its own row count is complete as a sample.
    const cut = truncatedBy === 'bytes';
    return {
      columns: columns.map((c) => ({ name: c.name, type: c.type })),
      rows,
      truncated: cut,
      ...(cut ? { truncatedBy } : {}),
      ...(truncatedValues ? { truncatedValues } : {}),
    };
  }
}
