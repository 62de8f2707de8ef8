import { DomainError } from './errors.ts';

/** The longest pattern search_tables accepts: a name fragment, never a document. */
export const MAX_PATTERN_LENGTH = 128;

/**
 * What search_tables looks for: a case-insensitive substring, or, when the pattern has
 * `*` or `?`, a glob over the whole name. `like` is the same test as a SQL LIKE pattern
 * (escape character `\`) for the engine to filter with, so only matches travel; `matches`
 * re-checks every name the engine returns, so a connector that filters loosely (or not at
 * all) still shows only real matches.
 */
export interface NamePattern {
  readonly text: string;
  readonly like: string;
  matches(name: string): boolean;
}

/**
 * Every character but `*` and `?` is literal: `%`, `_` and `\` are escaped for LIKE, and
 * the matcher is a plain scan (no regular expression is built from the input, so nothing
 * in a pattern can make matching slower than linear per `*`).
 */
export function namePattern(input: string): NamePattern {
  const text = input.trim().toLowerCase();
  if (text.length === 0) throw new DomainError('INVALID_ARGUMENT', 'pattern is empty: give part of a table or column name, or a glob such as order*.');
  if (text.length > MAX_PATTERN_LENGTH) {
    throw new DomainError('INVALID_ARGUMENT', `pattern is ${text.length} characters long; at most ${MAX_PATTERN_LENGTH} are allowed.`);
  }
  const glob = /[*?]/.test(text);
  const escaped = [...text].map((ch) => (ch === '*' ? '%' : ch === '?' ? '_' : /[%_\\]/.test(ch) ? `\\${ch}` : ch)).join('');
  const like = glob ? escaped : `%${escaped}%`;
  return { text, like, matches: glob ? (name) => globMatch(text, name.toLowerCase()) : (name) => name.toLowerCase().includes(text) };
}

/**
 * Glob match with `*` and `?`, iterative with one backtrack point: O(pattern × name) at
 * worst, however many stars (a regular expression of `a*a*a*…b` would backtrack
 * exponentially).
 */
export function globMatch(pattern: string, name: string): boolean {
  let p = 0;
  let n = 0;
  let star = -1;
  let resume = 0;
  while (n < name.length) {
    const c = pattern[p];
    if (c === '?' || (c !== undefined && c !== '*' && c === name[n])) {
      p++;
      n++;
    } else if (c === '*') {
      star = p++;
      resume = n;
    } else if (star >= 0) {
      p = star + 1;
      n = ++resume;
    } else return false;
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

/** Whether `name` starts with `prefix`, as Trino compares names (case-insensitively). */
export function hasPrefix(name: string, prefix: string): boolean {
  return name.toLowerCase().startsWith(prefix.toLowerCase());
}
