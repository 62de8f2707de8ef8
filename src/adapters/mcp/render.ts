import type { TabularResult } from '../../domain/model.ts';
import type { NameList } from '../../use-cases/catalog.ts';
import { truncationMarker } from '../../use-cases/result-budget.ts';

const LINE_BREAKING = /[\t\n\r]/;

/**
 * Keeps one row on one line: tabs and line breaks inside values are shown escaped. Most
 * values have none, and a test is much cheaper than a replace: rendering was a fifth of the
 * CPU of a 10,000-row call.
 */
function escapeText(text: string): string {
  if (!LINE_BREAKING.test(text)) return text;
  return text.replace(/[\t\n\r]/g, (c) => (c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

function cell(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return escapeText(value);
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'object':
      return value === null ? 'NULL' : JSON.stringify(value);
    default:
      return 'NULL';
  }
}

/** The limits a rendered result names in its footer. */
export interface RenderLimits {
  /** The row cap of this call. */
  readonly maxRows: number;
  readonly maxResultBytes: number;
  readonly maxValueBytes: number;
}

function footer(result: TabularResult, limits: RenderLimits): string {
  const n = result.rowCount;
  const shown = `${n} row${n === 1 ? '' : 's'}`;
  const cut = result.truncatedValues
    ? ` ${result.truncatedValues} value${result.truncatedValues === 1 ? ' was' : 's were'} longer than ${limits.maxValueBytes} bytes and cut: they end with "${truncationMarker(limits.maxValueBytes)}" — use substr() or length() to look at long values.`
    : '';
  if (!result.truncated) return cut ? `(${shown}.${cut})` : `(${shown})`;
  if (result.truncatedBy === 'bytes') {
    return (
      `(${shown} shown; the result reached its size limit of ${limits.maxResultBytes} bytes, so the rest was not read. ` +
      `Select fewer or narrower columns, or add a LIMIT, a WHERE clause or an aggregation.${cut})`
    );
  }
  return `(${shown} shown; more exist and were not read — the cap is ${limits.maxRows}. Add a LIMIT, a WHERE clause or an aggregation.${cut})`;
}

/**
 * A compact text rendering for the model: a tab-separated header of `name type`, one
 * line a row, and a footer that says how many rows came back, whether more exist and
 * which limit stopped the read.
 */
export function renderTable(result: TabularResult, limits: RenderLimits): string {
  const lines: string[] = [];
  lines.push(result.columns.map((c) => `${escapeText(c.name)} (${c.type})`).join('\t'));
  for (const row of result.rows) {
    let line = row.length > 0 ? cell(row[0]) : '';
    for (let i = 1; i < row.length; i++) line += `\t${cell(row[i])}`;
    lines.push(line);
  }
  lines.push(footer(result, limits));
  return lines.join('\n');
}

/** A counted title and one name a line; the title says when more exist, and why when it was the size limit. */
export function renderList(title: string, list: NameList, maxResultBytes: number): string {
  const why = list.truncatedBy === 'bytes' ? `, truncated at the size limit of ${maxResultBytes} bytes` : list.truncated ? ', truncated' : '';
  return [`${title} (${list.names.length}${why}):`, ...list.names].join('\n');
}
