import { DomainError } from './errors.ts';

/**
 * A lexer for Trino's SQL dialect, just deep enough to classify statements and find
 * statement boundaries: it knows `--` and `/* *\/` comments, '…' strings with ''
 * escapes, U&'…' and X'…' literals, "…" identifiers with "" escapes, and treats every
 * Unicode whitespace character as a separator.
 *
 * Hand-written on purpose: no maintained JavaScript lexer follows Trino's lexical
 * rules (the ANTLR-generated parsers are megabytes and orders of magnitude slower),
 * and the policy must classify a 100 kB statement in a few milliseconds.
 */
export type TokenKind = 'word' | 'quoted' | 'string' | 'number' | 'symbol';

export interface Token {
  readonly kind: TokenKind;
  /** For `word`: the upper-cased word; for `quoted`: the unescaped identifier; otherwise the source text. */
  readonly value: string;
  readonly start: number;
  readonly end: number;
}

const CH_QUOTE = 0x27; // '
const CH_DQUOTE = 0x22; // "
const CH_MINUS = 0x2d;
const CH_SLASH = 0x2f;
const CH_STAR = 0x2a;
const CH_AMP = 0x26;
const CH_LF = 0x0a;

function isWhitespace(c: number): boolean {
  if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) return true;
  if (c < 0x80) return false;
  return /\s/u.test(String.fromCharCode(c));
}

function isWordStart(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || (c >= 0x80 && !isWhitespace(c));
}

function isWordPart(c: number): boolean {
  return isWordStart(c) || (c >= 0x30 && c <= 0x39);
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function unterminated(what: string, at: number): DomainError {
  return new DomainError('POLICY_DENIED', `The statement has an unterminated ${what} starting at offset ${at}.`, {
    rule: 'LEXICAL',
  });
}

/** Finds the end (exclusive) of a quoted run starting at `i` (the opening quote). */
function scanQuoted(sql: string, i: number, quote: number, what: string): number {
  const n = sql.length;
  let j = i + 1;
  for (;;) {
    const k = sql.indexOf(String.fromCharCode(quote), j);
    if (k < 0 || k >= n) throw unterminated(what, i);
    if (sql.charCodeAt(k + 1) === quote) {
      j = k + 2;
      continue;
    }
    return k + 1;
  }
}

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  const n = sql.length;
  let i = 0;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (isWhitespace(c)) {
      i++;
      continue;
    }
    if (c === CH_MINUS && sql.charCodeAt(i + 1) === CH_MINUS) {
      const nl = sql.indexOf('\n', i + 2);
      const cr = sql.indexOf('\r', i + 2);
      const ends = [nl, cr].filter((x) => x >= 0);
      i = ends.length ? Math.min(...ends) + 1 : n;
      continue;
    }
    if (c === CH_SLASH && sql.charCodeAt(i + 1) === CH_STAR) {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) throw unterminated('comment', i);
      i = end + 2;
      continue;
    }
    if (c === CH_QUOTE) {
      const end = scanQuoted(sql, i, CH_QUOTE, 'string literal');
      tokens.push({ kind: 'string', value: sql.slice(i, end), start: i, end });
      i = end;
      continue;
    }
    if (c === CH_DQUOTE) {
      const end = scanQuoted(sql, i, CH_DQUOTE, 'quoted identifier');
      tokens.push({ kind: 'quoted', value: sql.slice(i + 1, end - 1).replaceAll('""', '"'), start: i, end });
      i = end;
      continue;
    }
    // U&'…' (Unicode string) and X'…' (binary literal): the prefix belongs to the literal.
    if ((c === 0x55 || c === 0x75) && sql.charCodeAt(i + 1) === CH_AMP && sql.charCodeAt(i + 2) === CH_QUOTE) {
      const end = scanQuoted(sql, i + 2, CH_QUOTE, 'Unicode string literal');
      tokens.push({ kind: 'string', value: sql.slice(i, end), start: i, end });
      i = end;
      continue;
    }
    if ((c === 0x58 || c === 0x78) && sql.charCodeAt(i + 1) === CH_QUOTE) {
      // A binary literal holds hex digits only: no '' escape, it ends at the next quote.
      const close = sql.indexOf("'", i + 2);
      if (close < 0) throw unterminated('binary literal', i);
      const end = close + 1;
      tokens.push({ kind: 'string', value: sql.slice(i, end), start: i, end });
      i = end;
      continue;
    }
    if (isWordStart(c)) {
      let j = i + 1;
      while (j < n && isWordPart(sql.charCodeAt(j))) j++;
      tokens.push({ kind: 'word', value: sql.slice(i, j).toUpperCase(), start: i, end: j });
      i = j;
      continue;
    }
    if (isDigit(c) || (c === 0x2e && isDigit(sql.charCodeAt(i + 1)))) {
      let j = i + 1;
      while (j < n && (isWordPart(sql.charCodeAt(j)) || sql.charCodeAt(j) === 0x2e)) j++;
      tokens.push({ kind: 'number', value: sql.slice(i, j), start: i, end: j });
      i = j;
      continue;
    }
    tokens.push({ kind: 'symbol', value: sql[i]!, start: i, end: i + 1 });
    i++;
  }
  return tokens;
}
