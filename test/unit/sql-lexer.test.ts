import { describe, expect, it } from 'vitest';
import { tokenize, type Token } from '../../src/domain/sql-lexer.ts';
import { expectDomainError, thrownBy } from './support/domain-error.ts';

/** `kind:value` per token, for compact assertions. */
function kinds(sql: string): string[] {
  return tokenize(sql).map((t: Token) => `${t.kind}:${t.value}`);
}

describe('tokenize', () => {
  it('upper-cases words and keeps offsets', () => {
    const tokens = tokenize('select x from t');
    expect(tokens.map((t) => t.value)).toEqual(['SELECT', 'X', 'FROM', 'T']);
    expect(tokens[2]).toMatchObject({ kind: 'word', start: 9, end: 13 });
  });

  it('skips -- comments up to the end of the line', () => {
    expect(kinds('-- DROP TABLE t\nSELECT 1')).toEqual(['word:SELECT', 'number:1']);
    expect(kinds('SELECT 1 -- ; DROP TABLE t')).toEqual(['word:SELECT', 'number:1']);
    expect(kinds('-- a\rSELECT 1')).toEqual(['word:SELECT', 'number:1']);
  });

  it('skips /* */ comments, also across lines and with a ; inside', () => {
    expect(kinds('/* DELETE; */ SELECT /* x\n;y */ 1')).toEqual(['word:SELECT', 'number:1']);
    expect(kinds('SELECT/**/1')).toEqual(['word:SELECT', 'number:1']);
  });

  it('does not nest /* */ comments', () => {
    expect(kinds('/* a /* b */ SELECT 1')).toEqual(['word:SELECT', 'number:1']);
  });

  it("reads '' as an escaped quote inside a string", () => {
    expect(kinds("SELECT 'it''s; -- not a comment'")).toEqual(['word:SELECT', "string:'it''s; -- not a comment'"]);
  });

  it("reads U&'…' and X'…' as one string token including the prefix", () => {
    expect(kinds("SELECT U&'\\0041;', u&'x', X'4142', x'3B'")).toEqual([
      'word:SELECT',
      "string:U&'\\0041;'",
      'symbol:,',
      "string:u&'x'",
      'symbol:,',
      "string:X'4142'",
      'symbol:,',
      "string:x'3B'",
    ]);
  });

  it('reads "…" as one quoted identifier with "" unescaped', () => {
    expect(kinds('SELECT "a""b;c" FROM "t -- x"')).toEqual(['word:SELECT', 'quoted:a"b;c', 'word:FROM', 'quoted:t -- x']);
  });

  it('keeps comment markers inside strings and identifiers', () => {
    expect(kinds(`SELECT '/*', "*/", '--'`)).toEqual(['word:SELECT', "string:'/*'", 'symbol:,', 'quoted:*/', 'symbol:,', "string:'--'"]);
  });

  const unicodeSpaces: [string, string][] = [
    ['no-break space', '\u00a0'],
    ['em space', '\u2003'],
    ['ideographic space', '\u3000'],
    ['line separator', '\u2028'],
    ['byte order mark', '\ufeff'],
  ];

  it.each<[string, string]>([...unicodeSpaces, ['vertical tab', '\u000b'], ['form feed', '\u000c']])(
    'skips %s before a token and after a symbol or literal',
    (_name, ws) => {
      expect(kinds(`${ws}SELECT 1,${ws}'a'${ws}, "b"${ws}FROM t`)).toEqual([
        'word:SELECT',
        'number:1',
        'symbol:,',
        "string:'a'",
        'symbol:,',
        'quoted:b',
        'word:FROM',
        'word:T',
      ]);
    },
  );

  it.each([['vertical tab', '\u000b'], ['form feed', '\u000c'], ['tab', '\t'], ['carriage return', '\r']])(
    'ends a word or number at ASCII whitespace (%s)',
    (_name, ws) => {
      expect(kinds(`SELECT${ws}1${ws}FROM${ws}t`)).toEqual(['word:SELECT', 'number:1', 'word:FROM', 'word:T']);
    },
  );

  // Regression: src/domain/sql-lexer.ts, isWordPart.
  it.each(unicodeSpaces)('ends a word or number at %s', (_name, ws) => {
    expect(kinds(`SELECT${ws}1${ws}FROM${ws}t`)).toEqual(['word:SELECT', 'number:1', 'word:FROM', 'word:T']);
  });

  it('reads numbers and symbols', () => {
    expect(kinds('SELECT 1.5e3, .5;')).toEqual(['word:SELECT', 'number:1.5e3', 'symbol:,', 'number:.5', 'symbol:;']);
  });

  it.each([
    ['string', "SELECT 'abc"],
    ['string ending in an escaped quote', "SELECT 'abc''"],
    ['Unicode string', "SELECT U&'abc"],
    ['binary literal', "SELECT X'41"],
    ['quoted identifier', 'SELECT "abc'],
    ['quoted identifier ending in an escaped quote', 'SELECT "abc""'],
    ['block comment', 'SELECT 1 /* ; DROP TABLE t'],
    ['block comment with a lone star', 'SELECT 1 /* *'],
  ])('rejects an unterminated %s with POLICY_DENIED rule LEXICAL', (_what, sql) => {
    expectDomainError(
      thrownBy(() => tokenize(sql)),
      'POLICY_DENIED',
      { rule: 'LEXICAL' },
    );
  });

  it('accepts an unterminated -- comment (it ends at the end of input)', () => {
    expect(kinds('SELECT 1 --')).toEqual(['word:SELECT', 'number:1']);
  });
});
