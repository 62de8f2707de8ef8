import { policyDenied } from './errors.ts';
import { scan } from './sql-lexer.ts';
import type { TokenList } from './token-list.ts';
import { shapeOf, type StatementShape } from './statement-shape.ts';

/**
 * Statement classification, lexical and pure: which statement a text is, whether it only
 * reads, and whether it calls a pass-through table function. Comments, literals and
 * quoted identifiers are understood; it is not a prefix regex.
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
 * Classifies tokens[from..] as reading or not; `index` is where the statement under any
 * EXPLAIN prefix starts. A loop, not a recursion per EXPLAIN: a statement of a hundred
 * thousand EXPLAINs must not exhaust the stack.
 */
function classifyFrom(tokens: TokenList, from: number): { readOnly: boolean; statement: string; index: number } {
  for (;;) {
    let i = from;
    while (tokens.isSymbol(i, '(')) i++;
    const first = tokens.kind(i);
    if (!first) return { readOnly: false, statement: 'empty statement', index: from };
    if (first !== 'word') return { readOnly: false, statement: describe(tokens, i), index: from };
    // A parenthesised statement must be a query.
    if (i > from) return { readOnly: QUERY_STARTS.has(tokens.value(i)), statement: describe(tokens, i), index: from };
    if (!tokens.isWord(i, 'EXPLAIN')) return { readOnly: READ_ONLY_STARTS.has(tokens.value(i)), statement: describe(tokens, i), index: from };
    from = skipExplainPrefix(tokens, i);
  }
}

/**
 * Table functions that hand SQL text to a connector, which runs it unseen by Trino's
 * analysis and access control (`system.query` of the JDBC connectors, BigQuery and
 * others; `raw_query` of Elasticsearch/OpenSearch).
 */
export const PASSTHROUGH_FUNCTIONS: ReadonlySet<string> = new Set(['query', 'raw_query']);

/** Every table function the tokens call, `TABLE( [c.][s.]name (`, as dotted lower-case names. Linear: each name is walked once. */
function tableFunctions(tokens: TokenList): string[] {
  const found: string[] = [];
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
    if (last < 0 || !tokens.isSymbol(j, '(')) continue;
    // Lower-cased from the source, as Trino canonicalises names: a word the lexer upper-cased
    // (ſ → S) must not turn into the name of a built-in it is not.
    const parts: string[] = [];
    // Part by part, as Trino folds each part of a name (casing depends on the neighbours: Σ).
    for (let k = first; k <= last; k += 2) parts.push((tokens.kind(k) === 'word' ? tokens.sql.slice(tokens.start(k), tokens.end(k)) : tokens.value(k)).toLowerCase());
    found.push(parts.join('.'));
    // Each name is walked once: the next search starts at its last part (itself maybe TABLE).
    i = last - 1;
  }
  return found;
}

/** Words that end a compound statement of a routine body when they follow END (`END IF`, `END LOOP` …). */
const COMPOUND_ENDS = new Set(['IF', 'LOOP', 'WHILE', 'REPEAT', 'CASE']);

/**
 * The `;` that separate statements: those outside the BEGIN … END bodies of SQL routines
 * (`CREATE FUNCTION …` or a query's `WITH FUNCTION …`), where `;` ends a statement of the
 * routine. BEGIN counts as a block only once the text has named a FUNCTION; CASE … END
 * inside a body is tracked so that its END does not close the block. A block left open is
 * refused: what cannot be delimited is not one statement.
 */
function separators(tokens: TokenList): number {
  let count = 0;
  let routine = false;
  const open: Array<'BEGIN' | 'CASE'> = [];
  for (let i = 0; i < tokens.length; i++) {
    if (tokens.isSymbol(i, ';')) {
      if (open.length === 0) count++;
      continue;
    }
    if (tokens.kind(i) !== 'word') continue;
    if (tokens.isWord(i, 'FUNCTION')) routine = true;
    else if (routine && tokens.isWord(i, 'BEGIN')) open.push('BEGIN');
    else if (open.length > 0 && tokens.isWord(i, 'CASE')) open.push('CASE');
    else if (open.length > 0 && tokens.isWord(i, 'END')) {
      const next = tokens.kind(i + 1) === 'word' ? tokens.value(i + 1) : undefined;
      if (next !== undefined && COMPOUND_ENDS.has(next)) {
        if (next === 'CASE') open.pop();
        i++;
      } else open.pop();
    }
  }
  if (open.length > 0) throw policyDenied('SINGLE_STATEMENT', 'A BEGIN … END block of the statement is not closed.');
  return count;
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
  /** What the statement under any EXPLAIN prefix names, for the allowlist. */
  readonly shape: StatementShape;
  /** Every table function the statement calls, as dotted lower-case names (`system.query`, `sequence`). */
  readonly tableFunctions: readonly string[];
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
  if (separators(body) > 0) {
    throw policyDenied('SINGLE_STATEMENT', 'Only one statement per call is allowed; send each statement separately.');
  }
  const verdict = classifyFrom(body, 0);
  return {
    text: textWithout(sql, 0, semicolon),
    readOnly: verdict.readOnly,
    keywords: verdict.statement,
    analysed: textWithout(sql, verdict.index < body.length ? body.start(verdict.index) : 0, semicolon),
    shape: shapeOf(body, verdict.index),
    tableFunctions: tableFunctions(body),
  };
}

/**
 * `EXPLAIN (TYPE …) <statement>` without lexing again: an EXPLAIN prefix of word options
 * classifies as the statement it explains, so only the text changes.
 */
export function explainOf(statement: Statement, type: string): Statement {
  return { ...statement, text: `EXPLAIN (TYPE ${type}) ${statement.text}` };
}
