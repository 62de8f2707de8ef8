import type { ResourceLink } from '@modelcontextprotocol/server';

/**
 * Resource addresses: `trino://{catalog}`, `trino://{catalog}/{schema}`,
 * `trino://{catalog}/{schema}/{table}`. Each name is percent-encoded whole, so a name with
 * `/`, `%` or spaces stays one segment and the address names exactly one object.
 */
export const SCHEME = 'trino:';

export interface ObjectPath {
  readonly catalog: string;
  readonly schema?: string | undefined;
  readonly table?: string | undefined;
}

export function resourceUri(path: ObjectPath): string {
  const parts = [path.catalog, path.schema, path.table].filter((p): p is string => p !== undefined);
  return `trino://${parts.map(encodeURIComponent).join('/')}`;
}

/** The object an address names, or undefined for anything but one of the three forms. */
export function parseResourceUri(uri: string): ObjectPath | undefined {
  const match = /^trino:\/\/([^/?#]+)(?:\/([^/?#]+))?(?:\/([^/?#]+))?$/.exec(uri);
  if (!match) return undefined;
  try {
    const [catalog, schema, table] = match.slice(1).map((p) => (p === undefined ? undefined : decodeURIComponent(p)));
    if (!catalog || schema === '' || table === '') return undefined;
    return { catalog, schema, table };
  } catch {
    return undefined; // a malformed escape
  }
}

/** The link a tool answer carries to a table it names. */
export function tableLink(t: { catalog: string; schema: string; table: string }, description?: string): ResourceLink {
  return {
    type: 'resource_link',
    uri: resourceUri(t),
    name: `${t.catalog}.${t.schema}.${t.table}`,
    mimeType: 'application/json',
    ...(description ? { description } : {}),
  };
}
