import { z } from 'zod';
import type { PagedResult } from '../../use-cases/pages.ts';
import { renderTable, type RenderLimits, type TextView } from './render.ts';
import type { ToolAnswer, ToolEnv } from './tools.ts';

/** The `limit` argument of the tools that return rows. */
export const limitArg = (env: ToolEnv) =>
  z
    .number()
    .int()
    .min(1)
    .optional()
    .describe(`Return at most this many rows (values above ${env.maxRows} are lowered to ${env.maxRows}).`);

/** A tabular answer: the rows in structuredContent, and the text in the caller's format. */
export function tabular(r: PagedResult, limits: RenderLimits, view: TextView): ToolAnswer {
  return {
    result: {
      content: [{ type: 'text', text: renderTable(r, limits, { ...view, cursor: r.cursor !== undefined }) }],
      structuredContent: {
        columns: r.columns.map((c) => ({ name: c.name, type: c.type })),
        // The rows as the use-case kept them (no copy): they are serialised once, as they are.
        rows: r.rows as unknown[][],
        rowCount: r.rowCount,
        truncated: r.truncated,
        ...(r.truncatedBy ? { truncatedBy: r.truncatedBy } : {}),
        ...(r.truncatedValues ? { truncatedValues: r.truncatedValues } : {}),
        ...(r.queryId ? { queryId: r.queryId } : {}),
        ...(r.cursor ? { cursor: r.cursor } : {}),
      },
    },
    queryId: r.queryId,
    rows: r.rowCount,
  };
}
