import { DomainError } from './errors.ts';
import type { NameDefaults, TableName } from './model.ts';

/**
 * Quotes one SQL identifier the way Trino reads a delimited identifier: wrapped in
 * double quotes, with embedded double quotes doubled. Any string becomes exactly one
 * identifier, so no name can inject SQL.
 */
export function quoteIdentifier(name: string): string {
  if (name.length === 0) throw new DomainError('INVALID_ARGUMENT', 'An identifier cannot be empty.');
  return `"${name.replaceAll('"', '""')}"`;
}

/** Quotes a dotted name part by part: `"cat"."sch"."tab"`. */
export function quoteQualified(...parts: readonly string[]): string {
  return parts.map(quoteIdentifier).join('.');
}

/** Quotes a string literal: single quotes doubled. */
export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * Splits `t`, `s.t` or `c.s.t` into parts. A part may be a delimited identifier
 * (`"my.table"`, with `""` for a quote); unquoted parts are taken as written and
 * trimmed. Rejects empty parts, more than three parts and unbalanced quotes.
 */
export function splitQualifiedName(input: string): string[] {
  const parts: string[] = [];
  let i = 0;
  const n = input.length;
  for (;;) {
    while (i < n && /\s/.test(input[i]!)) i++;
    let part: string;
    if (input[i] === '"') {
      let j = i + 1;
      let out = '';
      for (;;) {
        if (j >= n) throw new DomainError('INVALID_ARGUMENT', `Unbalanced double quote in name: ${input}`);
        if (input[j] === '"') {
          if (input[j + 1] === '"') {
            out += '"';
            j += 2;
            continue;
          }
          break;
        }
        out += input[j];
        j++;
      }
      part = out;
      i = j + 1;
      while (i < n && /\s/.test(input[i]!)) i++;
    } else {
      let j = i;
      while (j < n && input[j] !== '.') {
        if (input[j] === '"') throw new DomainError('INVALID_ARGUMENT', `Unexpected double quote in name: ${input}`);
        j++;
      }
      part = input.slice(i, j).trim();
      i = j;
    }
    if (part.length === 0) throw new DomainError('INVALID_ARGUMENT', `Empty name part in: ${JSON.stringify(input)}`);
    parts.push(part);
    if (i >= n) break;
    if (input[i] !== '.') throw new DomainError('INVALID_ARGUMENT', `Expected "." after a quoted name part in: ${input}`);
    i++;
  }
  if (parts.length > 3) {
    throw new DomainError('INVALID_ARGUMENT', `A table name has at most three parts (catalog.schema.table), got ${parts.length}: ${input}`);
  }
  return parts;
}

/**
 * Resolves a table argument against explicit catalog/schema arguments and the
 * configured defaults. Parts written in the table name win over the separate arguments.
 */
export function resolveTableName(
  table: string,
  args: { catalog?: string | undefined; schema?: string | undefined },
  defaults: NameDefaults,
): TableName {
  const parts = splitQualifiedName(table);
  const name = parts[parts.length - 1]!;
  const schema = parts.length >= 2 ? parts[parts.length - 2] : (args.schema ?? defaults.schema);
  const catalog = parts.length === 3 ? parts[0] : (args.catalog ?? defaults.catalog);
  if (!catalog) throw new DomainError('INVALID_ARGUMENT', `No catalog for table ${table}: write catalog.schema.table, pass "catalog", or set TRINO_CATALOG.`);
  if (!schema) throw new DomainError('INVALID_ARGUMENT', `No schema for table ${table}: write schema.table, pass "schema", or set TRINO_SCHEMA.`);
  return { catalog, schema, table: name };
}
