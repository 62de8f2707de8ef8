import type { TokenList } from './token-list.ts';

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

const QUERY_STARTS = ['SELECT', 'WITH', 'VALUES', 'TABLE'];

/** The tokens of the statement from `from` on, read by offset: no copy of the token list. */
class From {
  constructor(
    readonly tokens: TokenList,
    readonly from: number,
  ) {}
  get length(): number {
    return this.tokens.length - this.from;
  }
  word(k: number, ...words: string[]): boolean {
    return words.length === 0 ? this.tokens.kind(this.from + k) === 'word' : words.some((w) => this.tokens.isWord(this.from + k, w));
  }
  symbol(k: number, symbol: string): boolean {
    return this.tokens.isSymbol(this.from + k, symbol);
  }
  kind(k: number) {
    return this.tokens.kind(this.from + k);
  }
  start(k: number): number {
    return this.tokens.start(this.from + k);
  }
  end(k: number): number {
    return this.tokens.end(this.from + k);
  }
  /** A name part as Trino reads it: an unquoted word folded to lower case, a quoted identifier as written. */
  part(k: number): string {
    const i = this.from + k;
    return this.tokens.kind(i) === 'word' ? this.tokens.sql.slice(this.tokens.start(i), this.tokens.end(i)).toLowerCase() : this.tokens.value(i);
  }
}

/** Reads `a`, `a.b` or `a.b.c` at `k`; returns the parts and the offset after, or undefined. */
function readName(t: From, k: number): { parts: string[]; next: number } | undefined {
  const parts: string[] = [];
  for (;;) {
    const kind = t.kind(k);
    if (kind !== 'word' && kind !== 'quoted') return undefined;
    parts.push(t.part(k));
    if (parts.length > 3) return undefined;
    k++;
    if (!t.symbol(k, '.')) break;
    k++;
  }
  return { parts, next: k };
}

/** Offset of the token that closes the parenthesis opened at `open`, or -1. */
function closing(t: From, open: number): number {
  let depth = 0;
  for (let k = open; k < t.length; k++) {
    if (t.symbol(k, '(')) depth++;
    else if (t.symbol(k, ')') && --depth === 0) return k;
  }
  return -1;
}

/** A name that must be all that follows: `DESCRIBE t` and not `DESCRIBE t something`. */
function onlyName(t: From, k: number): StatementShape {
  const name = readName(t, k);
  return name && name.next === t.length ? { kind: 'names-table', target: name.parts } : { kind: 'other' };
}

/** `CREATE [OR REPLACE] TABLE [IF NOT EXISTS] name [COMMENT '…'] [WITH (…)] AS query [WITH [NO] DATA]`. */
function createTableAs(t: From, k: number): StatementShape {
  if (t.word(k, 'OR') && t.word(k + 1, 'REPLACE')) k += 2;
  if (!t.word(k, 'TABLE')) return { kind: 'other' };
  k++;
  if (t.word(k, 'IF') && t.word(k + 1, 'NOT') && t.word(k + 2, 'EXISTS')) k += 3;
  const name = readName(t, k);
  if (!name) return { kind: 'other' };
  k = name.next;
  if (t.word(k, 'COMMENT') && t.kind(k + 1) === 'string') k += 2;
  if (t.word(k, 'WITH') && t.symbol(k + 1, '(')) {
    const end = closing(t, k + 1);
    if (end < 0) return { kind: 'other' };
    k = end + 1;
  }
  if (!t.word(k, 'AS')) return { kind: 'other' };
  k++;
  let last = t.length - 1;
  if (t.word(last, 'DATA')) {
    last--;
    if (t.word(last, 'NO')) last--;
    if (!t.word(last, 'WITH')) return { kind: 'other' };
    last--;
  }
  if (k >= t.length || last < k) return { kind: 'other' };
  return { kind: 'create-table-as', target: name.parts, query: t.tokens.sql.slice(t.start(k), t.end(last)) };
}

function write(t: From, k: number): StatementShape {
  const name = readName(t, k);
  return name ? { kind: 'write', target: name.parts } : { kind: 'other' };
}

/**
 * The shape of `tokens[from..]`, the statement under any EXPLAIN prefix (the caller has
 * removed the trailing `;`).
 */
export function shapeOf(tokens: TokenList, from: number): StatementShape {
  const t = new From(tokens, from);
  if (t.symbol(0, '(') || t.word(0, ...QUERY_STARTS)) return { kind: 'query' };
  if (t.word(0, 'INSERT') && t.word(1, 'INTO')) return write(t, 2);
  if (t.word(0, 'DELETE') && t.word(1, 'FROM')) return write(t, 2);
  if (t.word(0, 'MERGE') && t.word(1, 'INTO')) return write(t, 2);
  if (t.word(0, 'UPDATE')) return write(t, 1);
  if (t.word(0, 'CREATE')) return createTableAs(t, 1);
  if (t.word(0, 'DESCRIBE', 'DESC')) return onlyName(t, 1);
  if (!t.word(0, 'SHOW')) return { kind: 'other' };
  if (t.word(1, 'COLUMNS') && t.word(2, 'FROM', 'IN')) return onlyName(t, 3);
  if (t.word(1, 'CREATE') && t.word(2, 'TABLE', 'VIEW')) return onlyName(t, 3);
  if (t.word(1, 'CREATE') && t.word(2, 'MATERIALIZED') && t.word(3, 'VIEW')) return onlyName(t, 4);
  if (t.word(1, 'STATS') && t.word(2, 'FOR')) {
    if (!t.symbol(3, '(')) return onlyName(t, 3);
    const end = closing(t, 3);
    if (end !== t.length - 1 || end < 5) return { kind: 'other' };
    return { kind: 'stats-of-query', query: tokens.sql.slice(t.start(4), t.end(end - 1)) };
  }
  return { kind: 'other' };
}
