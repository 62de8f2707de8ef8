import type { TabularResult } from '../../domain/model.ts';

/** Keeps one row on one line: tabs and line breaks inside values are shown escaped. */
function escapeText(text: string): string {
  return text.replace(/[\t\n\r]/g, (c) => (c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'string') return escapeText(value);
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * A compact text rendering for the model: a tab-separated header of `name type`, one
 * line a row, and a footer that says how many rows came back and whether more exist.
 */
export function renderTable(result: TabularResult, cap: number): string {
  const lines: string[] = [];
  lines.push(result.columns.map((c) => `${escapeText(c.name)} (${c.type})`).join('\t'));
  for (const row of result.rows) lines.push(row.map(cell).join('\t'));
  const n = result.rowCount;
  lines.push(
    result.truncated
      ? `(${n} row${n === 1 ? '' : 's'} shown; more exist and were not read — the cap is ${cap}. Add a LIMIT, a WHERE clause or an aggregation.)`
      : `(${n} row${n === 1 ? '' : 's'})`,
  );
  return lines.join('\n');
}

export function renderList(title: string, names: readonly string[], truncated: boolean): string {
  const head = `${title} (${names.length}${truncated ? ', truncated' : ''}):`;
  return [head, ...names].join('\n');
}
