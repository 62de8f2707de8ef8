import { randomUUID } from 'node:crypto';
import { Buffer } from 'node:buffer';
import { ProtocolError, ProtocolErrorCode, ResourceNotFoundError, ResourceTemplate, type McpServer, type ReadResourceResult, type ServerContext } from '@modelcontextprotocol/server';
import { isDomainError } from '../../domain/errors.ts';
import { quoteIdentifier } from '../../domain/identifiers.ts';
import type { Principal } from '../../domain/model.ts';
import type { Logger } from '../../ports/logger.ts';
import type { BrowsePosition } from '../../use-cases/browse.ts';
import type { DetailedDescription } from '../../use-cases/table-details.ts';
import { parseResourceUri, resourceUri, type ObjectPath } from './resource-uri.ts';
import type { UseCases } from './tools.ts';

/** What a catalog feature (resources, completions) runs with: the caller of that request and its cancellation. */
export interface FeatureEnv {
  readonly useCases: UseCases;
  readonly log: Logger;
  /** Runs `work` as the request's principal, tracked in flight; undefined principal: refused. */
  run<T>(ctx: ServerContext, what: string, work: (principal: Principal, signal: AbortSignal) => Promise<T>): Promise<T>;
}

/** Objects per resources/list page. */
export const RESOURCE_PAGE_SIZE = 100;

export const TEMPLATES = {
  table: 'trino://{catalog}/{schema}/{table}',
  schema: 'trino://{catalog}/{schema}',
  catalog: 'trino://{catalog}',
} as const;

/**
 * Resources: every catalog, schema and table the caller may see, as `trino://` addresses
 * (resource-uri.ts). resources/list walks them a page at a time (the SDK's own handler
 * has no pages, so it is replaced); resources/read and the templates are the SDK's, each
 * template reading through one parser, so whichever template matches an address, the
 * object read is the one the address names.
 */
export function registerResources(server: McpServer, env: FeatureEnv): void {
  const read = (uri: URL, _variables: unknown, ctx: ServerContext) => readResource(uri.href, ctx, env);
  server.registerResource('table', new ResourceTemplate(TEMPLATES.table, { list: undefined }), {
    title: 'Table',
    description: "A table's columns, types and comments, as JSON and as markdown.",
    mimeType: 'application/json',
  }, read);
  server.registerResource('schema', new ResourceTemplate(TEMPLATES.schema, { list: undefined }), {
    title: 'Schema',
    description: 'The tables of a schema, each with its address.',
    mimeType: 'application/json',
  }, read);
  server.registerResource('catalog', new ResourceTemplate(TEMPLATES.catalog, { list: undefined }), {
    title: 'Catalog',
    description: 'The schemas of a catalog, each with its address.',
    mimeType: 'application/json',
  }, read);
  server.server.setRequestHandler('resources/list', async (request, ctx) =>
    env.run(ctx, 'resources/list', async (principal, signal) => {
      const from = decodeCursor(request.params?.cursor);
      const page = await guard(() => env.useCases.browseObjects.page(from, RESOURCE_PAGE_SIZE, principal, signal), env.log, request.params?.cursor);
      return {
        resources: page.objects.map((o) => ({ uri: resourceUri(o), name: dotted(o), title: dotted(o), mimeType: 'application/json', description: kindOf(o) })),
        ...(page.next ? { nextCursor: encodeCursor(page.next) } : {}),
      };
    }),
  );
}

const dotted = (o: ObjectPath) => [o.catalog, o.schema, o.table].filter((p) => p !== undefined).join('.');
const kindOf = (o: ObjectPath) => (o.table !== undefined ? 'table' : o.schema !== undefined ? 'schema' : 'catalog');

/**
 * The cursor is the walk's position, in the clear: it names a catalog and an offset the
 * caller could list anyway. A forged one is only checked: a catalog it names must be one
 * the caller may see, or the page is refused.
 */
function encodeCursor(p: BrowsePosition): string {
  return Buffer.from(JSON.stringify([p.catalog, p.offset])).toString('base64url');
}

function decodeCursor(cursor: unknown): BrowsePosition | undefined {
  if (cursor === undefined) return undefined;
  const invalid = () => new ProtocolError(ProtocolErrorCode.InvalidParams, 'Invalid cursor: pass a nextCursor from resources/list unchanged.');
  if (typeof cursor !== 'string' || cursor.length > 4096) throw invalid();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(value) || value.length !== 2) throw invalid();
  const [catalog, offset] = value as [unknown, unknown];
  if (typeof catalog !== 'string' || catalog.length === 0 || !Number.isSafeInteger(offset) || (offset as number) < 0) throw invalid();
  return { catalog, offset: offset as number };
}

async function readResource(uri: string, ctx: ServerContext, env: FeatureEnv): Promise<ReadResourceResult> {
  const path = parseResourceUri(uri);
  if (!path) throw new ResourceNotFoundError(uri);
  return env.run(ctx, 'resources/read', (principal, signal) =>
    guard(async () => {
      const u = env.useCases;
      if (path.table !== undefined && path.schema !== undefined) {
        const d = await u.describeTable.execute({ table: quoteIdentifier(path.table), catalog: path.catalog, schema: path.schema }, principal, signal);
        return contents(uri, describedJson(d), tableMarkdown(d));
      }
      if (path.schema !== undefined) {
        const r = await u.listTables.execute({ catalog: path.catalog, schema: path.schema }, principal, signal);
        const tables = r.names.map((t) => ({ name: t, uri: resourceUri({ catalog: r.catalog, schema: r.schema, table: t }) }));
        const json = { catalog: r.catalog, schema: r.schema, tables, truncated: r.truncated };
        return contents(uri, json, listMarkdown(`${r.catalog}.${r.schema}`, 'Tables', tables, r.truncated));
      }
      const r = await u.listSchemas.execute({ catalog: path.catalog }, principal, signal);
      const schemas = r.names.map((s) => ({ name: s, uri: resourceUri({ catalog: r.catalog, schema: s }) }));
      return contents(uri, { catalog: r.catalog, schemas, truncated: r.truncated }, listMarkdown(r.catalog, 'Schemas', schemas, r.truncated));
    }, env.log, uri),
  );
}

function describedJson(d: DetailedDescription) {
  return { catalog: d.catalog, schema: d.schema, table: d.table, ...(d.comment ? { comment: d.comment } : {}), columns: d.columns, ...(d.truncated ? { truncated: true } : {}) };
}

function contents(uri: string, json: unknown, markdown: string): ReadResourceResult {
  return {
    contents: [
      { uri, mimeType: 'application/json', text: JSON.stringify(json) },
      { uri, mimeType: 'text/markdown', text: markdown },
    ],
  };
}

/** Markdown table cells: one line, pipes escaped. */
const md = (s: string) => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');

function tableMarkdown(d: DetailedDescription): string {
  return [
    `# ${md(`${d.catalog}.${d.schema}.${d.table}`)}`,
    '',
    ...(d.comment ? [md(d.comment), ''] : []),
    '| Column | Type | Comment |',
    '| --- | --- | --- |',
    ...d.columns.map((c) => `| ${md(c.name)} | ${md(c.type)} | ${md(c.comment ?? '')} |`),
    ...(d.truncated ? ['', '(More columns exist: the description reached the result size limit.)'] : []),
  ].join('\n');
}

function listMarkdown(title: string, what: string, items: Array<{ name: string; uri: string }>, truncated: boolean): string {
  return [`# ${md(title)}`, '', `${what}:`, ...items.map((i) => `- [${md(i.name)}](${i.uri})`), ...(truncated ? ['', '(More exist: the list was cut at its limit.)'] : [])].join('\n');
}

/**
 * Domain failures as JSON-RPC errors: a name that does not exist or is outside the
 * allowlist is the same "resource not found" (an address names one object; which of the
 * two it is says nothing more than the listing does), a bad argument is invalid params,
 * anything else keeps its code in the message; unknown failures only a reference.
 */
export async function guard<T>(work: () => Promise<T>, log: Logger, uri: unknown): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof ProtocolError) throw err;
    if (isDomainError(err)) {
      if (err.code === 'NOT_FOUND' || err.code === 'POLICY_DENIED') throw new ResourceNotFoundError(String(uri));
      if (err.code === 'INVALID_ARGUMENT') throw new ProtocolError(ProtocolErrorCode.InvalidParams, err.message);
      if (err.code !== 'INTERNAL') throw new ProtocolError(ProtocolErrorCode.InternalError, `${err.code}: ${err.message}`, { code: err.code });
    }
    const ref = randomUUID().slice(0, 8);
    const e = err as { message?: unknown; stack?: unknown };
    log.error('internal error in request', { ref, error: String(e?.message ?? err), stack: String(e?.stack ?? '') });
    throw new ProtocolError(ProtocolErrorCode.InternalError, `internal error (ref ${ref})`);
  }
}
