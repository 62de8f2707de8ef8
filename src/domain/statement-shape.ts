import type { Token } from './sql-lexer.ts';

/** A dotted name as written: 1 to 3 parts, unquoted parts folded to lower case as Trino folds them. */
export type NameParts = readonly string[];

/**
 * What the allowlist needs to know about a statement, read from its tokens: which objects
 * it names and what Trino's analysis (EXPLAIN IO) must be asked about. Anything not
 * recognised is `other`, which the allowlist refuses: a shape that cannot be checked is
 * not guessed at.
 */
export type StatementShape =
  /** SELECT, WITH, VALUES, TABLE or a parenthesised query: the analysis reports what it reads. */
  | { readonly kind: 'query' }
  /** INSERT INTO, DELETE FROM, UPDATE, MERGE INTO: the target by name, then the analysis of the statement. */
  | { readonly kind: 'write'; readonly target: NameParts }
  /** CREATE TABLE … AS query: the target by name, and the analysis of the query only (EXPLAIN of a CTAS may create the table). */
  | { readonly kind: 'create-table-as'; readonly target: NameParts; readonly query: string }
  /** DESCRIBE t, SHOW COLUMNS FROM t, SHOW CREATE TABLE/VIEW/MATERIALIZED VIEW t, SHOW STATS FOR t: one object, by name. */
  | { readonly kind: 'names-table'; readonly target: NameParts }
  /** SHOW STATS FOR (query): the analysis of the query. */
  | { readonly kind: 'stats-of-query'; readonly query: string }
  | { readonly kind: 'other' };

const QUERY_STARTS = new Set(['SELECT', 'WITH', 'VALUES', 'TABLE']);

const isWord = (t: Token | undefined, ...values: string[]): boolean => t?.kind === 'word' && (values.length === 0 || values.includes(t.value));
const isSymbol = (t: Token | undefined, value: string): boolean => t?.kind === 'symbol' && t.value === value;

/** Reads `a`, `a.b` or `a.b.c` at `i`; returns the parts and the index after, or undefined. */
function readName(sql: string, tokens: readonly Token[], i: number): { parts: string[]; next: number } | undefined {
  const parts: string[] = [];
  for (;;) {
    const t = tokens[i];
    if (t?.kind === 'word') parts.push(sql.slice(t.start, t.end).toLowerCase());
    else if (t?.kind === 'quoted') parts.push(t.value);
    else return undefined;
    i++;
    if (!isSymbol(tokens[i], '.')) break;
    i++;
  }
  return parts.length <= 3 ? { parts, next: i } : undefined;
}

/** Index of the token that closes the parenthesis opened at `open`, or -1. */
function closing(tokens: readonly Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    if (isSymbol(tokens[i], '(')) depth++;
    else if (isSymbol(tokens[i], ')') && --depth === 0) return i;
  }
  return -1;
}

/** A name that must be all that follows: `DESCRIBE t` and not `DESCRIBE t something`. */
function onlyName(sql: string, tokens: readonly Token[], i: number): StatementShape {
  const name = readName(sql, tokens, i);
  return name && name.next === tokens.length ? { kind: 'names-table', target: name.parts } : { kind: 'other' };
}

/** `CREATE [OR REPLACE] TABLE [IF NOT EXISTS] name [COMMENT '…'] [WITH (…)] AS query [WITH [NO] DATA]`. */
function createTableAs(sql: string, tokens: readonly Token[], i: number): StatementShape {
  if (isWord(tokens[i], 'OR') && isWord(tokens[i + 1], 'REPLACE')) i += 2;
  if (!isWord(tokens[i], 'TABLE')) return { kind: 'other' };
  i++;
  if (isWord(tokens[i], 'IF') && isWord(tokens[i + 1], 'NOT') && isWord(tokens[i + 2], 'EXISTS')) i += 3;
  const name = readName(sql, tokens, i);
  if (!name) return { kind: 'other' };
  i = name.next;
  if (isWord(tokens[i], 'COMMENT') && tokens[i + 1]?.kind === 'string') i += 2;
  if (isWord(tokens[i], 'WITH') && isSymbol(tokens[i + 1], '(')) {
    const end = closing(tokens, i + 1);
    if (end < 0) return { kind: 'other' };
    i = end + 1;
  }
  if (!isWord(tokens[i], 'AS')) return { kind: 'other' };
  i++;
  let last = tokens.length - 1;
  if (isWord(tokens[last], 'DATA')) {
    last--;
    if (isWord(tokens[last], 'NO')) last--;
    if (!isWord(tokens[last], 'WITH')) return { kind: 'other' };
    last--;
  }
  const first = tokens[i];
  if (!first || last < i) return { kind: 'other' };
  return { kind: 'create-table-as', target: name.parts, query: sql.slice(first.start, tokens[last]!.end) };
}

/**
 * The shape of `tokens[from..]`, the statement under any EXPLAIN prefix (the caller has
 * removed the trailing `;`).
 */
export function shapeOf(sql: string, all: readonly Token[], from: number): StatementShape {
  const tokens = all.slice(from);
  const [a, b, c] = tokens;
  if (isSymbol(a, '(') || (a?.kind === 'word' && QUERY_STARTS.has(a.value))) return { kind: 'query' };
  if (isWord(a, 'INSERT') && isWord(b, 'INTO')) return write(sql, tokens, 2);
  if (isWord(a, 'DELETE') && isWord(b, 'FROM')) return write(sql, tokens, 2);
  if (isWord(a, 'MERGE') && isWord(b, 'INTO')) return write(sql, tokens, 2);
  if (isWord(a, 'UPDATE')) return write(sql, tokens, 1);
  if (isWord(a, 'CREATE')) return createTableAs(sql, tokens, 1);
  if (isWord(a, 'DESCRIBE', 'DESC')) return onlyName(sql, tokens, 1);
  if (!isWord(a, 'SHOW')) return { kind: 'other' };
  if (isWord(b, 'COLUMNS') && isWord(c, 'FROM', 'IN')) return onlyName(sql, tokens, 3);
  if (isWord(b, 'CREATE') && isWord(c, 'TABLE', 'VIEW')) return onlyName(sql, tokens, 3);
  if (isWord(b, 'CREATE') && isWord(c, 'MATERIALIZED') && isWord(tokens[3], 'VIEW')) return onlyName(sql, tokens, 4);
  if (isWord(b, 'STATS') && isWord(c, 'FOR')) {
    if (!isSymbol(tokens[3], '(')) return onlyName(sql, tokens, 3);
    const end = closing(tokens, 3);
    if (end !== tokens.length - 1 || end < 5) return { kind: 'other' };
    return { kind: 'stats-of-query', query: sql.slice(tokens[4]!.start, tokens[end - 1]!.end) };
  }
  return { kind: 'other' };
}

function write(sql: string, tokens: readonly Token[], at: number): StatementShape {
  const name = readName(sql, tokens, at);
  return name ? { kind: 'write', target: name.parts } : { kind: 'other' };
}
