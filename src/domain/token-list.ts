export type TokenKind = 'word' | 'quoted' | 'string' | 'number' | 'symbol';

export interface Token {
  readonly kind: TokenKind;
  /** For `word`: the upper-cased word; for `quoted`: the unescaped identifier; otherwise the source text. */
  readonly value: string;
  readonly start: number;
  readonly end: number;
}

const KINDS: readonly TokenKind[] = ['word', 'quoted', 'string', 'number'];
/** The stored code of each kind but symbols, its index in KINDS. */
export const KIND = { word: 0, quoted: 1, string: 2, number: 3 } as const;
/** A symbol is stored as SYMBOL plus its character (always ASCII: every other character is a word part or a blank). */
const SYMBOL = 0x100;

/**
 * The tokens of one text as parallel typed arrays (code, start, end), each value built when
 * asked for. An object and a string per token made a megabyte of one-character tokens
 * (`((((…`) a million long-lived allocations and seconds of garbage collection on a busy
 * machine; here a token costs ten bytes, and asking whether it is a given symbol reads one
 * array element.
 */
export class TokenList {
  readonly sql: string;
  #length = 0;
  #codes = new Uint16Array(64);
  // Int32 holds any offset: V8 strings are shorter than 2^29 code units.
  #starts = new Int32Array(64);
  #ends = new Int32Array(64);

  constructor(sql: string) {
    this.sql = sql;
  }

  get length(): number {
    return this.#length;
  }

  push(kind: (typeof KIND)[keyof typeof KIND], start: number, end: number): void {
    this.#append(kind, start, end);
  }

  /** The one-character symbol `char` (its code) at `at`. */
  pushSymbol(at: number, char: number): void {
    this.#append(SYMBOL + char, at, at + 1);
  }

  /** Drops the last token (the trailing `;` a statement may end with). */
  pop(): void {
    if (this.#length > 0) this.#length--;
  }

  /** The kind of token `i`, or undefined past either end. */
  kind(i: number): TokenKind | undefined {
    if (!(i >= 0 && i < this.#length)) return undefined;
    const code = this.#codes[i]!;
    return code >= SYMBOL ? 'symbol' : KINDS[code];
  }

  start(i: number): number {
    return this.#starts[this.#index(i)]!;
  }

  end(i: number): number {
    return this.#ends[this.#index(i)]!;
  }

  /** As Token.value: built on each call, so that only the tokens someone reads cost a string. */
  value(i: number): string {
    const start = this.start(i);
    const end = this.end(i);
    switch (this.kind(i)) {
      case 'word':
        return this.sql.slice(start, end).toUpperCase();
      case 'quoted':
        return this.sql.slice(start + 1, end - 1).replaceAll('""', '"');
      default:
        return this.sql.slice(start, end);
    }
  }

  /** Token `i` is the one-character symbol `symbol`. */
  isSymbol(i: number, symbol: string): boolean {
    return i >= 0 && i < this.#length && this.#codes[i] === SYMBOL + symbol.charCodeAt(0);
  }

  /** The index of the first token from `from` on that is the symbol `symbol`, or -1. */
  indexOfSymbol(symbol: string, from = 0): number {
    const code = SYMBOL + symbol.charCodeAt(0);
    for (let i = Math.max(from, 0); i < this.#length; i++) if (this.#codes[i] === code) return i;
    return -1;
  }

  /**
   * Token `i` is a word whose upper-cased text is `word` (upper-case ASCII). Most words are
   * refused without building their value, so that asking every word of a text whether it is
   * TABLE costs no string: upper-casing is per code point and never shortens a text (checked
   * on every code point by test/unit/sql-lexer-cost.test.ts), so a longer word cannot match,
   * nor one whose first character is ASCII and upper-cases to another letter.
   */
  isWord(i: number, word: string): boolean {
    if (this.kind(i) !== 'word') return false;
    const start = this.#starts[i]!;
    if (this.#ends[i]! - start > word.length) return false;
    const first = this.sql.charCodeAt(start);
    if (first < 0x80 && (first >= 0x61 && first <= 0x7a ? first - 0x20 : first) !== word.charCodeAt(0)) return false;
    return this.value(i) === word;
  }

  token(i: number): Token {
    return { kind: this.kind(i)!, value: this.value(i), start: this.start(i), end: this.end(i) };
  }

  #index(i: number): number {
    if (!(i >= 0 && i < this.#length)) throw new RangeError(`no token ${i} of ${this.#length}`);
    return i;
  }

  #append(code: number, start: number, end: number): void {
    if (this.#length === this.#codes.length) this.#grow();
    this.#codes[this.#length] = code;
    this.#starts[this.#length] = start;
    this.#ends[this.#length] = end;
    this.#length++;
  }

  #grow(): void {
    const size = this.#codes.length * 2;
    const codes = new Uint16Array(size);
    codes.set(this.#codes);
    const starts = new Int32Array(size);
    starts.set(this.#starts);
    const ends = new Int32Array(size);
    ends.set(this.#ends);
    this.#codes = codes;
    this.#starts = starts;
    this.#ends = ends;
  }
}
