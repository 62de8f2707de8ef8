import { describe, expect, it } from 'vitest';
import { tokenize } from '../../src/domain/sql-lexer.ts';
import { parseStatement, PASSTHROUGH_FUNCTIONS } from '../../src/domain/statement.ts';
import { expectDomainError, thrownBy } from './support/domain-error.ts';
import { SQL_SHAPES } from './support/sql-shapes.ts';

/**
 * The text as a string that counts the code units the lexer reads through it: one per
 * charCodeAt or index, what an indexOf passes over, what a slice copies. Any other use
 * throws, so a lexer that reads the text some other way cannot go unmetered. Counting
 * instead of timing: the count is the same on any machine under any load.
 */
function metered(text: string): { sql: string; work: () => number } {
  let work = 0;
  const methods: Record<string, unknown> = {
    charCodeAt: (i: number) => {
      work++;
      return text.charCodeAt(i);
    },
    indexOf: (search: string, from = 0) => {
      const at = text.indexOf(search, from);
      work += (at < 0 ? text.length : at + search.length) - from;
      return at;
    },
    slice: (start?: number, end?: number) => {
      const part = text.slice(start, end);
      work += part.length;
      return part;
    },
  };
  const sql = new Proxy(new String(text), {
    get(_target, key) {
      if (key === 'length') return text.length;
      if (typeof key === 'string' && key in methods) return methods[key];
      const index = typeof key === 'string' ? Number(key) : Number.NaN;
      if (Number.isInteger(index)) {
        work++;
        return text[index];
      }
      throw new Error(`the lexer read the text through ${String(key)}, which this meter does not count`);
    },
  });
  return { sql: sql as unknown as string, work: () => work };
}

/**
 * Code units read per code unit of input. The lexer reads each one one to four times (its
 * kind, a lookahead, the slice of its token: 3.5 at most on these shapes); a rescan per
 * token reads the rest of the text again and again, tens to hundreds of times the bound
 * on these inputs (a search per line-end character at each comment: about 450 on `--` lines
 * ending in \n).
 */
const WORK_PER_UNIT = 8;
// Large enough that a quadratic lexer needs many times the bound, small enough for the proxy.
const METERED_UNITS = 64 * 1024;

describe('tokenize: work linear in the input', () => {
  it('the meter counts a rescan to the end of the text', () => {
    const { sql, work } = metered('-- a\n-- b\nSELECT 1');
    sql.indexOf('\r', 2);
    expect(work()).toBe(sql.length - 2);
    expect(() => sql.search(/x/)).toThrow(/does not count/);
  });

  it.each(SQL_SHAPES.map((s) => [s.name, s] as const))('%s: bounded work per code unit, and the right tokens', (_name, shape) => {
    const sample = shape.sample(METERED_UNITS);
    const { sql, work } = metered(sample.sql);
    if (sample.tokens === undefined) {
      expectDomainError(
        thrownBy(() => tokenize(sql)),
        'POLICY_DENIED',
        { rule: 'LEXICAL' },
      );
    } else {
      expect(tokenize(sql)).toHaveLength(sample.tokens);
    }
    expect(work()).toBeLessThanOrEqual(WORK_PER_UNIT * sample.sql.length);
  });
});

describe('parseStatement on hostile statements of 1 MiB', () => {
  // MCP_MAX_BODY_BYTES by default. Asserted on the answer, not on time (npm run bench times
  // these shapes at 1, 4 and 16 MiB); the timeout is only a backstop, far above the few
  // milliseconds each takes, so that a loaded machine cannot make the test fail.
  it.each(SQL_SHAPES.map((s) => [s.name, s] as const))('%s', { timeout: 30_000 }, (_name, shape) => {
    const { sql, verdict } = shape.sample(1024 * 1024);
    if ('rule' in verdict) {
      expectDomainError(
        thrownBy(() => parseStatement(sql)),
        'POLICY_DENIED',
        { rule: verdict.rule },
      );
      return;
    }
    const statement = parseStatement(sql);
    const passthrough = statement.tableFunctions.find((f) => PASSTHROUGH_FUNCTIONS.has(f.slice(f.lastIndexOf('.') + 1)));
    expect({ readOnly: statement.readOnly, keywords: statement.keywords, passthrough }).toEqual({
      passthrough: undefined,
      ...verdict,
    });
  });
});

describe('classification shortcuts give the answers of upper-casing every word', () => {
  // TokenList.isWord refuses a word longer than the keyword, and the pass-through name is
  // cased once as a whole: both rest on upper-casing going code point by code point and
  // never making a text shorter.
  it('upper-casing never shortens a code point', () => {
    const shorter: string[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      const ch = String.fromCodePoint(cp);
      if (ch.toUpperCase().length < ch.length) shorter.push(cp.toString(16));
    }
    expect(shorter).toEqual([]);
  });

  it.each([
    ['ſelect 1', { readOnly: true, keywords: 'SELECT' }], // U+017F upper-cases to S
    ['explaın delete from t', { readOnly: false, keywords: 'DELETE FROM' }], // U+0131 upper-cases to I
    ['ﬁnd x', { readOnly: false, keywords: 'FIND X' }], // U+FB01 upper-cases to two letters
  ])('classifies %j as the upper-cased words read', (sql, verdict) => {
    expect(parseStatement(sql)).toMatchObject(verdict);
  });

  it.each([
    ['SELECT * FROM TABLE("Sys"."ß".query(x))', 'sys.ß.query'],
    ['SELECT * FROM TABLE("Sys"."ß"."Query"(x))', 'sys.ß.query'],
    ['SELECT * FROM TABLE(ΣΑΣ.query(1))', 'σας.query'],
    ['select * from table(a . /* c */ b.raw_query (1))', 'a.b.raw_query'],
    // Lower-cased from the source as Trino does: ſ stays ſ, so this is not the built-in sequence.
    ['SELECT * FROM TABLE(ſequence(start => 1, stop => 2))', 'ſequence'],
  ])('names the table function of %j %j', (sql, name) => {
    expect(parseStatement(sql).tableFunctions).toEqual([name]);
  });
});

describe('tokenize: whitespace', () => {
  // Whitespace is decided by comparisons, no longer by a regex per character: it must
  // still be exactly what /\s/u matches, on every UTF-16 code unit.
  it('separates two words exactly at the code units /\\s/u matches', () => {
    const mismatches: string[] = [];
    for (let c = 0; c <= 0xffff; c++) {
      const ch = String.fromCharCode(c);
      let separated: boolean;
      try {
        separated = tokenize(`a${ch}b`).map((t) => `${t.kind}:${t.value}`).join(' ') === 'word:A word:B';
      } catch {
        separated = false;
      }
      if (separated !== /\s/u.test(ch)) mismatches.push(c.toString(16));
    }
    expect(mismatches).toEqual([]);
  });
});
