import type { TabularResult } from '../../domain/model.ts';
import type { NameList } from '../../use-cases/catalog.ts';
import { truncationMarker } from '../../use-cases/result-budget.ts';
import { DEFAULT_OUTPUT_FORMAT, fenceUntrusted, renderRows, type OutputFormat } from './render-formats.ts';

/** The limits a rendered result names in its footer. */
export interface RenderLimits {
  /** The row cap of this call. */
  readonly maxRows: number;
  readonly maxResultBytes: number;
  readonly maxValueBytes: number;
}

/** How a tabular result is shown as text: the format, whether its values are fenced as data, and whether a cursor came with it. */
export interface TextView {
  readonly format?: OutputFormat | undefined;
  readonly markUntrusted?: boolean | undefined;
  readonly cursor?: boolean | undefined;
}

function footer(result: TabularResult, limits: RenderLimits, cursor: boolean): string {
  const n = result.rowCount;
  const shown = `${n} row${n === 1 ? '' : 's'}`;
  const cut = result.truncatedValues
    ? ` ${result.truncatedValues} value${result.truncatedValues === 1 ? ' was' : 's were'} longer than ${limits.maxValueBytes} bytes and cut: they end with "${truncationMarker(limits.maxValueBytes)}" — use substr() or length() to look at long values.`
    : '';
  if (!result.truncated) return cut ? `(${shown}.${cut})` : `(${shown})`;
  if (cursor) {
    const limit = result.truncatedBy === 'bytes' ? `the result reached its size limit of ${limits.maxResultBytes} bytes` : `the cap is ${limits.maxRows}`;
    return `(${shown}; ${limit}. More exist: call fetch_more with this answer's cursor for the next page.${cut})`;
  }
  if (result.truncatedBy === 'bytes') {
    return (
      `(${shown} shown; the result reached its size limit of ${limits.maxResultBytes} bytes, so the rest was not read. ` +
      `Select fewer or narrower columns, or add a LIMIT, a WHERE clause or an aggregation.${cut})`
    );
  }
  return `(${shown} shown; more exist and were not read — the cap is ${limits.maxRows}. Add a LIMIT, a WHERE clause or an aggregation.${cut})`;
}

/**
 * The text rendering for the model: the rows in the chosen format (a header of
 * `name (type)`, then one row a line), fenced as data unless the operator turned that off,
 * and a footer of the server's own words: how many rows came back, whether more exist and
 * which limit stopped the read.
 */
export function renderTable(result: TabularResult, limits: RenderLimits, view: TextView = {}): string {
  const rows = renderRows(result.columns, result.rows, view.format ?? DEFAULT_OUTPUT_FORMAT);
  return [view.markUntrusted ? fenceUntrusted(rows) : rows, footer(result, limits, view.cursor === true)].join('\n');
}

/** A counted title and one name a line; the title says when more exist, and why when it was the size limit. */
export function renderList(title: string, list: NameList, maxResultBytes: number): string {
  const why = list.truncatedBy === 'bytes' ? `, truncated at the size limit of ${maxResultBytes} bytes` : list.truncated ? ', truncated' : '';
  return [`${title} (${list.names.length}${why}):`, ...list.names].join('\n');
}
