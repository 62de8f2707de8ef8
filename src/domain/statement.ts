import { policyDenied } from './errors.ts';
import { scan } from './sql-lexer.ts';
import type { TokenList } from './token-list.ts';

/**
 * Statement classification, lexical and pure: which statement a text is, whether it only
 * reads, and whether it calls a pass-through table function. Comments, literals and
 * quoted identifiers are understood; it is not a prefix regex.
 *
 * Linear in the tokens, like the lexer: each step below moves forward, reads the values
 * of the few tokens it decides on, and never restarts from an earlier token.
 */
// DESC is Trino's short form of DESCRIBE.
const READ_ONLY_STARTS = new Set(['SELECT', 'WITH', 'VALUES', 'TABLE', 'SHOW', 'DESCRIBE', 'DESC']);
/** Words that open an EXPLAIN option list, `EXPLAIN (TYPE …, FORMAT …)`, as opposed to `EXPLAIN (SELECT …)`. */
const EXPLAIN_OPTIONS = new Set(['TYPE', 'FORMAT']);
const QUERY_STARTS = new Set(['SELECT', 'WITH', 'VALUES', 'TABLE']);


/** Names a statement by its leading keywords for a denial message (e.g. `INSERT INTO`, `SET SESSION`). */
function describe(tokens: TokenList, from: number): string {
  const words: string[] = [];
  for (let i = from; tokens.kind(i) === 'word' && words.length < 2; i++) words.push(tokens.value(i));
  return words.join(' ') || (tokens.kind(from) ? tokens.value(from) : 'empty statement');
}

/** Skips `EXPLAIN [ANALYZE] [VERBOSE] [( option [, …] )]`; returns the index of the explained statement. */
function skipExplainPrefix(tokens: TokenList, i: number): number {
  i++; // EXPLAIN
  if (tokens.isWord(i, 'ANALYZE')) i++;
  if (tokens.isWord(i, 'VERBOSE')) i++;
  if (tokens.isSymbol(i, '(') && tokens.kind(i + 1) === 'word' && EXPLAIN_OPTIONS.has(tokens.value(i + 1))) {
    // Options are words only (TYPE LOGICAL, FORMAT JSON); a nested query cannot hide here.
    let j = i + 1;
    while (j < tokens.length && !tokens.isSymbol(j, ')')) {
      if (!(tokens.kind(j) === 'word' || tokens.isSymbol(j, ','))) {
        throw policyDenied('EXPLAIN_OPTIONS', 'EXPLAIN options must be words such as (TYPE LOGICAL, FORMAT TEXT).');
      }
      j++;
    }
    if (j >= tokens.length) throw policyDenied('EXPLAIN_OPTIONS', 'EXPLAIN options are missing their closing parenthesis.');
    i = j + 1;
  }
  return i;
}

/**
 * Classifies tokens[from..] as reading or not. A loop, not a recursion per EXPLAIN: a
 * statement of a hundred thousand EXPLAINs must not exhaust the stack.
 */
function classifyFrom(tokens: TokenList, from: number): { readOnly: boolean; statement: string; start: number } {
  for (;;) {
    let i = from;
    while (tokens.isSymbol(i, '(')) i++;
    const first = tokens.kind(i);
    const start = tokens.kind(from) ? tokens.start(from) : 0;
    if (!first) return { readOnly: false, statement: 'empty statement', start };
    if (first !== 'word') return { readOnly: false, statement: describe(tokens, i), start };
    if (i > from) {
      // A parenthesised statement must be a query.
      return { readOnly: QUERY_STARTS.has(tokens.value(i)), statement: describe(tokens, i), start };
    }
    if (!tokens.isWord(i, 'EXPLAIN')) return { readOnly: READ_ONLY_STARTS.has(tokens.value(i)), statement: describe(tokens, i), start };
    from = skipExplainPrefix(tokens, i);
  }
}

/**
 * Table functions that hand SQL text to a connector, which runs it unseen by Trino's
 * analysis and access control (`system.query` of the JDBC connectors, BigQuery and
 * others; `raw_query` of Elasticsearch/OpenSearch).
 */
const PASSTHROUGH_FUNCTIONS = new Set(['QUERY', 'RAW_QUERY']);

/**
 * The first call of a pass-through table function, `TABLE( [c.][s.]query (`, or undefined.
 * Each dotted name is walked once and only its last part is read: a name ends at the first
 * token that is not `.`, so the name after one `TABLE(` never overlaps the next one's.
 */
function findPassthrough(tokens: TokenList): string | undefined {
  for (let i = 0; i + 2 < tokens.length; i++) {
    if (!(tokens.kind(i) === 'word' && tokens.isSymbol(i + 1, '(') && tokens.isWord(i, 'TABLE'))) continue;
    // A dotted name of words or quoted identifiers, then "(".
    const first = i + 2;
    let last = -1;
    let j = first;
    for (;;) {
      const kind = tokens.kind(j);
      if (kind !== 'word' && kind !== 'quoted') break;
      last = j;
      j++;
      if (tokens.isSymbol(j, '.')) j++;
      else break;
    }
    if (last >= 0 && tokens.isSymbol(j, '(') && PASSTHROUGH_FUNCTIONS.has(upperPart(tokens, last))) {
      // The name is each part upper-cased, joined, lower-cased. Casing goes code point by
      // code point, so upper-casing the joined text once gives the same name with one
      // conversion instead of one per part (a name can be a megabyte of `a.a.a…`).
      const parts: string[] = [];
      for (let k = first; k <= last; k += 2) parts.push(tokens.kind(k) === 'word' ? tokens.sql.slice(tokens.start(k), tokens.end(k)) : tokens.value(k));
      return parts.join('.').toUpperCase().toLowerCase();
    }
  }
  return undefined;
}

/** A part of a dotted name as the function list spells it: a word as read, a quoted identifier upper-cased. */
function upperPart(tokens: TokenList, i: number): string {
  return tokens.kind(i) === 'word' ? tokens.value(i) : tokens.value(i).toUpperCase();
}

/** One statement, lexed once per call: what every later step needs to know about it. */
export interface Statement {
  /** The text the engine is sent: surrounding blanks and one trailing `;` removed (Trino rejects it), comments kept. */
  readonly text: string;
  /** The statement only reads (SELECT, WITH, VALUES, TABLE, SHOW, DESCRIBE, or EXPLAIN of those). */
  readonly readOnly: boolean;
  /** Its leading keywords, for messages (e.g. `INSERT INTO`). */
  readonly keywords: string;
  /** The statement under any EXPLAIN prefix, as sent to the engine: what Trino's analysis is asked about. */
  readonly analysed: string;
  /** A pass-through table function the statement calls, if any. */
  readonly passthrough?: string | undefined;
}

/** The source without the range `cut` (the trailing `;`), from `from`, trimmed. */
function textWithout(sql: string, from: number, cut: { start: number; end: number } | undefined): string {
  return (cut ? sql.slice(from, cut.start) + sql.slice(cut.end) : sql.slice(from)).trim();
}

/**
 * Lexes the SQL once, splits off one trailing `;`, refuses a second statement, and
 * classifies the rest. Throws POLICY_DENIED (EMPTY, SINGLE_STATEMENT, LEXICAL,
 * EXPLAIN_OPTIONS) for what cannot be one well-formed statement.
 */
export function parseStatement(sql: string): Statement {
  const body = scan(sql);
  const last = body.length - 1;
  const semicolon = body.isSymbol(last, ';') ? { start: body.start(last), end: body.end(last) } : undefined;
  if (semicolon) body.pop();
  if (body.length === 0) throw policyDenied('EMPTY', 'The statement is empty.');
  if (body.indexOfSymbol(';') >= 0) {
    throw policyDenied('SINGLE_STATEMENT', 'Only one statement per call is allowed; send each statement separately.');
  }
  const verdict = classifyFrom(body, 0);
  const passthrough = findPassthrough(body);
  return {
    text: textWithout(sql, 0, semicolon),
    readOnly: verdict.readOnly,
    keywords: verdict.statement,
    analysed: textWithout(sql, verdict.start, semicolon),
    ...(passthrough ? { passthrough } : {}),
  };
}

/**
 * `EXPLAIN (TYPE …) <statement>` without lexing again: an EXPLAIN prefix of word options
 * classifies as the statement it explains, so only the text changes.
 */
export function explainOf(statement: Statement, type: string): Statement {
  return { ...statement, text: `EXPLAIN (TYPE ${type}) ${statement.text}` };
}
