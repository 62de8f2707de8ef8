import { z } from 'zod';
import type { ToolSpec } from './tools.ts';
import { limitArg, tabular } from './tabular.ts';
import { cursorArg, formatArg, outputSchemas, READ_ANNOTATIONS } from './schemas.ts';

/** fetch_more: the next page of an execute_query result. */
export const fetchMoreTool: ToolSpec = {
  name: 'fetch_more',
  title: 'Read the next page of a result',
  access: 'read',
  // Reading a page moves the result on: the same cursor read again later may be gone.
  annotations: { ...READ_ANNOTATIONS, idempotentHint: false },
  description: (env) =>
    'Returns the next rows of an execute_query result that stopped at a limit: pass the `cursor` of that answer (or of ' +
    'the previous fetch_more). Rows come in order, none lost or repeated; the answer carries a new `cursor` while more ' +
    `rows exist, and none at the end. A cursor works only for you and only for ${Math.round(env.cursorTtlMs / 1000)} s ` +
    'from the first page of its result (then CURSOR_EXPIRED: run the query again); the same cursor may be read again ' +
    'until the next page was fetched. The page has as many rows as the first one unless `limit` asks for fewer; the ' +
    `byte limit (${env.maxResultBytes} bytes) applies to each page.`,
  input: (env) => z.object({ cursor: cursorArg, limit: limitArg(env), format: formatArg }),
  output: outputSchemas.fetch_more,
  async run(u, args: { cursor: string; limit?: number | undefined; format?: 'csv' | 'json' | 'markdown' | undefined }, principal, signal, env) {
    const r = await u.fetchMore.execute(args, principal, signal);
    return tabular(r, { ...env, maxRows: Math.min(args.limit ?? r.rowCount, env.maxRows) }, { format: args.format, markUntrusted: env.markUntrusted });
  },
};
