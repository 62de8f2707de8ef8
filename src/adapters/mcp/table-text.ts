import type { DetailedDescription, TableRows } from '../../use-cases/table-details.ts';
import { renderTable, type RenderLimits } from './render.ts';

/** The text of get_table_schema's sample and statistics, rendered like any result. */
export function renderExtras(r: DetailedDescription, limits: Omit<RenderLimits, 'maxRows'>): string[] {
  const part = (title: string, rows: TableRows) => [
    '',
    `${title}:`,
    renderTable({ ...rows, rowCount: rows.rows.length }, { ...limits, maxRows: rows.rows.length }),
  ];
  return [...(r.sample ? part('Sample rows', r.sample) : []), ...(r.stats ? part('Statistics (SHOW STATS)', r.stats) : [])];
}
