// What each text format costs the model: characters of the text rendering of a 100-row
// result shaped like tpch.tiny.orders (numbers, dates, short codes and free text), with and
// without the untrusted-data fence. The default format (src/adapters/mcp/render-formats.ts)
// is the smallest; this check fails if that stops being true.
import { DEFAULT_OUTPUT_FORMAT, OUTPUT_FORMATS } from '../dist/adapters/mcp/render-formats.js';
import { renderTable } from '../dist/adapters/mcp/render.js';

const COLUMNS = [
  { name: 'orderkey', type: 'bigint' },
  { name: 'custkey', type: 'bigint' },
  { name: 'orderstatus', type: 'varchar(1)' },
  { name: 'totalprice', type: 'double' },
  { name: 'orderdate', type: 'date' },
  { name: 'orderpriority', type: 'varchar(15)' },
  { name: 'clerk', type: 'varchar(15)' },
  { name: 'shippriority', type: 'integer' },
  { name: 'comment', type: 'varchar(79)' },
];

function rows(n) {
  const out = [];
  for (let i = 1; i <= n; i++) {
    out.push([
      i * 4,
      370 + ((i * 7919) % 1500),
      ['O', 'F', 'P'][i % 3],
      Math.round(((i * 104729) % 40000000) + 85700) / 100,
      `199${i % 8}-0${(i % 9) + 1}-1${i % 10}`,
      ['1-URGENT', '2-HIGH', '3-MEDIUM', '4-NOT SPECIFIED', '5-LOW'][i % 5],
      `Clerk#000000${String(100 + (i % 900)).padStart(3, '0')}`,
      0,
      `nstructions sleep furiously among the ${i % 2 ? 'quickly' : 'slyly'} final, ironic requests`,
    ]);
  }
  return out;
}

/** Characters of each format's text for a 100-row result; `ok` when the default is the smallest. */
export function formatSizes() {
  const r = rows(100);
  const result = { columns: COLUMNS, rows: r, rowCount: r.length, truncated: false };
  const limits = { maxRows: 1000, maxResultBytes: 4 * 1024 * 1024, maxValueBytes: 64 * 1024 };
  const sizes = {};
  for (const format of OUTPUT_FORMATS) {
    sizes[format] = {
      plain: renderTable(result, limits, { format }).length,
      fenced: renderTable(result, limits, { format, markUntrusted: true }).length,
    };
  }
  const smallest = OUTPUT_FORMATS.reduce((a, b) => (sizes[a].plain <= sizes[b].plain ? a : b));
  const line = OUTPUT_FORMATS.map((f) => `${f} ${sizes[f].plain} (fenced ${sizes[f].fenced})`).join(', ');
  return { name: 'characters of a 100-row result as text', line: `${line}; default ${DEFAULT_OUTPUT_FORMAT}, smallest ${smallest}`, ok: smallest === DEFAULT_OUTPUT_FORMAT };
}
