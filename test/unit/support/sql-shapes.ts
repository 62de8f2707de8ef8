/**
 * Statements of any size built from one repeated unit, in the shapes that make a naive
 * scanner quadratic (a search per token that runs to the end of the text) or slow per
 * character. Shared by the lexer's cost tests and `npm run bench` (which imports this
 * file directly, so it uses erasable TypeScript only).
 *
 * Each shape knows what the lexer must make of it, derived from the number of units,
 * so a test can check the result on a large input as well as the work it took.
 */

/** What parseStatement must answer: the verdict of a well-formed statement, or the rule it is refused by. */
export type Verdict =
  | { readonly readOnly: boolean; readonly keywords: string; readonly passthrough?: string }
  | { readonly rule: 'LEXICAL' | 'SINGLE_STATEMENT' };

export interface Sample {
  readonly sql: string;
  /** How many tokens tokenize yields, or undefined when it throws (LEXICAL). */
  readonly tokens: number | undefined;
  readonly verdict: Verdict;
}

export interface SqlShape {
  readonly name: string;
  /** A statement of at least `units` UTF-16 code units (the lexer's unit of work). */
  sample(units: number): Sample;
}

const select: Verdict = { readOnly: true, keywords: 'SELECT' };
/** A SELECT whose next token is a word: messages name a statement by its first two words. */
function selectThen(word: string): Verdict {
  return { readOnly: true, keywords: `SELECT ${word}` };
}
const lexical: Verdict = { rule: 'LEXICAL' };

/**
 * `prefix + unit × k + suffix` with k the smallest count reaching `units`; the lexer yields
 * `fixed + perUnit × k` tokens (undefined: it throws).
 */
function shape(
  name: string,
  parts: { prefix?: string; unit: string; suffix?: string },
  tokens: { fixed: number; perUnit: number } | undefined,
  verdict: Verdict | ((k: number) => Verdict),
): SqlShape {
  const { prefix = '', unit, suffix = '' } = parts;
  return {
    name,
    sample(units) {
      const k = Math.max(1, Math.ceil((units - prefix.length - suffix.length) / unit.length));
      return {
        sql: prefix + unit.repeat(k) + suffix,
        tokens: tokens && tokens.fixed + tokens.perUnit * k,
        verdict: typeof verdict === 'function' ? verdict(k) : verdict,
      };
    },
  };
}

export const SQL_SHAPES: readonly SqlShape[] = [
  // Comments: a search for each line end kind separately rescans the rest of the text per line.
  shape('-- comment lines ending in \\n', { unit: '-- a comment line\n', suffix: 'SELECT 1' }, { fixed: 2, perUnit: 0 }, select),
  shape('-- comment lines ending in \\r only', { unit: '-- a comment line\r', suffix: 'SELECT 1' }, { fixed: 2, perUnit: 0 }, select),
  shape('-- comment lines ending in \\r\\n', { unit: '-- a comment line\r\n', suffix: 'SELECT 1' }, { fixed: 2, perUnit: 0 }, select),
  shape('many -- and no line end', { prefix: 'SELECT 1 ', unit: '--' }, { fixed: 2, perUnit: 0 }, select),
  shape('/* */ comments', { unit: '/* a comment */ ', suffix: 'SELECT 1' }, { fixed: 2, perUnit: 0 }, select),
  shape('/* with no end', { prefix: 'SELECT 1 ', unit: '/* ' }, undefined, lexical),
  // Strings and quoted identifiers: doubled quotes, runs of them, and quotes left open at the very end.
  shape('many short strings', { prefix: 'SELECT ', unit: "'it''s', ", suffix: '1' }, { fixed: 2, perUnit: 2 }, select),
  shape('one huge string', { prefix: "SELECT '", unit: 'x', suffix: "'" }, { fixed: 2, perUnit: 0 }, select),
  shape("a string of '' escapes", { prefix: "SELECT '", unit: "''", suffix: "'" }, { fixed: 2, perUnit: 0 }, select),
  shape("'' escapes, unterminated at the end", { prefix: "SELECT '", unit: "''" }, undefined, lexical),
  shape('quoted identifiers with "" escapes', { prefix: 'SELECT ', unit: '"a""b", ', suffix: '1' }, { fixed: 2, perUnit: 2 }, select),
  shape('an identifier of "" escapes', { prefix: 'SELECT "', unit: '""', suffix: '"' }, { fixed: 2, perUnit: 0 }, select),
  shape('"" escapes, unterminated at the end', { prefix: 'SELECT "', unit: '""' }, undefined, lexical),
  shape('alternating quote kinds', { prefix: 'SELECT ', unit: `'"'"'"` }, { fixed: 1, perUnit: 2 }, select),
  shape('alternating quote kinds, unterminated at the end', { prefix: 'SELECT ', unit: `'"'"'"`, suffix: "'" }, undefined, lexical),
  shape("U&'' and X'' literals", { prefix: 'SELECT ', unit: "U&'\\0041', X'41', ", suffix: '1' }, { fixed: 2, perUnit: 4 }, select),
  // Whitespace and words: per-character cost, ASCII and not.
  shape('ASCII whitespace', { prefix: 'SELECT', unit: ' \t\n\r\f\v', suffix: '1' }, { fixed: 2, perUnit: 0 }, select),
  shape('one non-ASCII whitespace character (U+3000)', { prefix: 'SELECT', unit: '\u3000', suffix: '1' }, { fixed: 2, perUnit: 0 }, select),
  shape('every non-ASCII whitespace character', {
    prefix: 'SELECT',
    unit: '\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff',
    suffix: '1',
  }, { fixed: 2, perUnit: 0 }, select),
  shape('long words', { prefix: 'SELECT ', unit: `${'w'.repeat(63)} ` }, { fixed: 1, perUnit: 1 }, selectThen('W'.repeat(63))),
  shape('one huge word', { prefix: 'SELECT ', unit: 'w' }, { fixed: 2, perUnit: 0 }, (k) => selectThen('W'.repeat(k))),
  shape('one word of non-ASCII letters', { prefix: 'SELECT ', unit: 'é' }, { fixed: 2, perUnit: 0 }, (k) => selectThen('É'.repeat(k))),
  // UTF-16: an astral character is two code units (a surrogate pair), both word parts.
  shape('one word of astral characters', { prefix: 'SELECT ', unit: '\u{1d518}' }, { fixed: 2, perUnit: 0 }, (k) => selectThen('\u{1d518}'.repeat(k))),
  shape('lone surrogates', { prefix: 'SELECT ', unit: '\ud800 \udc00 ' }, { fixed: 1, perUnit: 2 }, selectThen('\ud800')),
  shape('numbers', { prefix: 'SELECT ', unit: '12345.678e9, ', suffix: '1' }, { fixed: 2, perUnit: 2 }, select),
  shape('one huge number', { prefix: 'SELECT ', unit: '9' }, { fixed: 2, perUnit: 0 }, select),
  shape('symbols', { prefix: 'SELECT 1', unit: '+-*/%<>=' }, { fixed: 2, perUnit: 8 }, select),
  // A select list of quoted names, comments, strings and aliases, as a client writes it.
  shape('mixed realistic query', {
    prefix: 'SELECT\n',
    unit: `  "order col" /* the key */, 'it''s; -- here' AS label, -- a note\n`,
    suffix: '  1 AS last\nFROM tpch.tiny.nation',
  }, { fixed: 10, perUnit: 6 }, select),
  // Classification: an EXPLAIN per token, parentheses, and table-function names.
  shape('EXPLAIN chain', { unit: 'EXPLAIN ', suffix: 'SELECT 1' }, { fixed: 2, perUnit: 1 }, select),
  shape('open parentheses', { unit: '(', suffix: 'SELECT 1' }, { fixed: 2, perUnit: 1 }, select),
  shape('TABLE( calls', { prefix: 'SELECT * FROM ', unit: 'TABLE(a.b.f(' }, { fixed: 3, perUnit: 8 }, { readOnly: true, keywords: 'SELECT' }),
  shape('one long dotted table-function name', { prefix: 'SELECT * FROM TABLE(', unit: 'a.', suffix: 'query(x)' }, { fixed: 9, perUnit: 2 }, (k) => ({
    readOnly: true,
    keywords: 'SELECT',
    passthrough: `${'a.'.repeat(k)}query`,
  })),
  shape('semicolons', { prefix: 'SELECT 1', unit: ';' }, { fixed: 2, perUnit: 1 }, { rule: 'SINGLE_STATEMENT' }),
];
