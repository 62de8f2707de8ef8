import { DomainError } from './errors.ts';
import { KIND, TokenList, type Token } from './token-list.ts';

export type { Token, TokenKind } from './token-list.ts';

/**
 * A lexer for Trino's SQL dialect, just deep enough to classify statements and find
 * statement boundaries: it knows `--` and `/* *\/` comments, '…' strings with ''
 * escapes, U&'…' and X'…' literals, "…" identifiers with "" escapes, and treats every
 * Unicode whitespace character as a separator.
 *
 * Hand-written on purpose: no maintained JavaScript lexer follows Trino's lexical
 * rules (the ANTLR-generated parsers are megabytes and orders of magnitude slower),
 * and the policy must classify a 100 kB statement in a few milliseconds.
 *
 * Linear in the input, whatever its shape: each UTF-16 code unit is read a bounded number
 * of times, because every scan starts where the previous one stopped, and the one search
 * that runs ahead (for the next line end) keeps its result until the lexer has passed it.
 * A statement is lexed on the event loop that serves every client, so a rescan per token
 * (e.g. a search for a line end that never comes) let one megabyte of comments stall the
 * server for seconds. Tokens go
 * into a TokenList (typed arrays), not an object and a string each: a megabyte of
 * one-character tokens allocates a few arrays, not a million objects.
 * test/unit/sql-lexer-cost.test.ts counts the work; `npm run bench` times it.
 */
const CH_QUOTE = 0x27; // '
const CH_DQUOTE = 0x22; // "
const CH_MINUS = 0x2d;
const CH_SLASH = 0x2f;
const CH_STAR = 0x2a;
const CH_AMP = 0x26;
const CH_DOT = 0x2e;

/**
 * Exactly the code units `/\s/u` matches (ECMAScript WhiteSpace and LineTerminator: the
 * ASCII blanks, U+FEFF, U+2028/9 and the Zs category), as comparisons: a regex per
 * non-ASCII character made megabytes of them slow. Zs has not changed since Unicode 6.3;
 * test/unit/sql-lexer-cost.test.ts compares this with the regex on all 65,536 code units.
 */
function isWhitespace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c < 0xa0) return false;
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
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

/**
 * Finds the end (exclusive) of a quoted run starting at `i` (the opening quote); a doubled
 * quote is an escape. Each search starts past the quote the previous one found.
 */
function scanQuoted(sql: string, i: number, quote: "'" | '"', what: string): number {
  const code = quote.charCodeAt(0);
  let j = i + 1;
  for (;;) {
    // The next character first: a run of doubled quotes would otherwise cost a call each.
    const k = sql.charCodeAt(j) === code ? j : sql.indexOf(quote, j);
    if (k < 0) throw unterminated(what, i);
    if (sql.charCodeAt(k + 1) !== code) return k + 1;
    j = k + 2;
  }
}

/**
 * The first line end (`\n` or `\r`) at or after an offset. Each character is searched for
 * with indexOf and its position kept until the lexer has passed it: a fresh search at every
 * comment for a `\r` the text does not have would read the rest of the text each time.
 */
class LineEnds {
  readonly #sql: string;
  #lf = -1;
  #cr = -1;

  constructor(sql: string) {
    this.#sql = sql;
  }

  /** The offset of the first line end at or after `from`, or the text's length when none follows. */
  from(from: number): number {
    if (this.#lf < from) this.#lf = this.#find('\n', from);
    if (this.#cr < from) this.#cr = this.#find('\r', from);
    return Math.min(this.#lf, this.#cr);
  }

  #find(end: string, from: number): number {
    const at = this.#sql.indexOf(end, from);
    return at < 0 ? this.#sql.length : at;
  }
}

/** Lexes `sql` into a TokenList; throws POLICY_DENIED (rule LEXICAL) for an unterminated literal or comment. */
export function scan(sql: string): TokenList {
  const tokens = new TokenList(sql);
  const lineEnds = new LineEnds(sql);
  const n = sql.length;
  let i = 0;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (isWhitespace(c)) {
      i++;
      continue;
    }
    if (c === CH_MINUS && sql.charCodeAt(i + 1) === CH_MINUS) {
      i = Math.min(lineEnds.from(i + 2) + 1, n);
      continue;
    }
    if (c === CH_SLASH && sql.charCodeAt(i + 1) === CH_STAR) {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) throw unterminated('comment', i);
      i = end + 2;
      continue;
    }
    let end: number;
    let kind: (typeof KIND)[keyof typeof KIND];
    if (c === CH_QUOTE) {
      kind = KIND.string;
      end = scanQuoted(sql, i, "'", 'string literal');
    } else if (c === CH_DQUOTE) {
      kind = KIND.quoted;
      end = scanQuoted(sql, i, '"', 'quoted identifier');
    } else if ((c === 0x55 || c === 0x75) && sql.charCodeAt(i + 1) === CH_AMP && sql.charCodeAt(i + 2) === CH_QUOTE) {
      // U&'…' (Unicode string) and X'…' (binary literal): the prefix belongs to the literal.
      kind = KIND.string;
      end = scanQuoted(sql, i + 2, "'", 'Unicode string literal');
    } else if ((c === 0x58 || c === 0x78) && sql.charCodeAt(i + 1) === CH_QUOTE) {
      // A binary literal holds hex digits only: no '' escape, it ends at the next quote.
      const close = sql.indexOf("'", i + 2);
      if (close < 0) throw unterminated('binary literal', i);
      kind = KIND.string;
      end = close + 1;
    } else if (isWordStart(c)) {
      kind = KIND.word;
      end = i + 1;
      while (end < n && isWordPart(sql.charCodeAt(end))) end++;
    } else if (isDigit(c) || (c === CH_DOT && isDigit(sql.charCodeAt(i + 1)))) {
      kind = KIND.number;
      end = i + 1;
      while (end < n) {
        const d = sql.charCodeAt(end);
        if (!(isWordPart(d) || d === CH_DOT)) break;
        end++;
      }
    } else {
      tokens.pushSymbol(i, c);
      i++;
      continue;
    }
    tokens.push(kind, i, end);
    i = end;
  }
  return tokens;
}

/** Every token of `sql` as an object: for callers that read them all (and tests). */
export function tokenize(sql: string): Token[] {
  const tokens = scan(sql);
  return Array.from({ length: tokens.length }, (_, i) => tokens.token(i));
}
