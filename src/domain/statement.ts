import { policyDenied } from './errors.ts';
import { tokenize, type Token } from './sql-lexer.ts';
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
function describe(tokens: readonly Token[], from: number): string {
  const words: string[] = [];
  for (let i = from; i < tokens.length && words.length < 2; i++) {
    const t = tokens[i]!;
    if (t.kind !== 'word') break;
    words.push(t.value);
  }
  return words.join(' ') || (tokens[from]?.value ?? 'empty statement');
}

/** Skips `EXPLAIN [ANALYZE] [VERBOSE] [( option [, …] )]`; returns the index of the explained statement. */
function skipExplainPrefix(tokens: readonly Token[], i: number): number {
  i++; // EXPLAIN
  if (tokens[i]?.kind === 'word' && tokens[i]!.value === 'ANALYZE') i++;
  if (tokens[i]?.kind === 'word' && tokens[i]!.value === 'VERBOSE') i++;
  const next = tokens[i + 1];
  if (tokens[i]?.kind === 'symbol' && tokens[i]!.value === '(' && next?.kind === 'word' && EXPLAIN_OPTIONS.has(next.value)) {
    // Options are words only (TYPE LOGICAL, FORMAT JSON); a nested query cannot hide here.
    let j = i + 1;
    while (j < tokens.length && !(tokens[j]!.kind === 'symbol' && tokens[j]!.value === ')')) {
      const t = tokens[j]!;
      if (!(t.kind === 'word' || (t.kind === 'symbol' && t.value === ','))) {
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
function classifyFrom(tokens: readonly Token[], from: number): { readOnly: boolean; statement: string; index: number } {
  for (;;) {
    let i = from;
    while (tokens[i]?.kind === 'symbol' && tokens[i]!.value === '(') i++;
    const first = tokens[i];
    if (!first) return { readOnly: false, statement: 'empty statement', index: from };
    if (first.kind !== 'word') return { readOnly: false, statement: describe(tokens, i), index: from };
    // A parenthesised statement must be a query.
    if (i > from) return { readOnly: QUERY_STARTS.has(first.value), statement: describe(tokens, i), index: from };
    if (first.value !== 'EXPLAIN') return { readOnly: READ_ONLY_STARTS.has(first.value), statement: describe(tokens, i), index: from };
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
function tableFunctions(sql: string, tokens: readonly Token[]): string[] {
  const found: string[] = [];
  for (let i = 0; i + 2 < tokens.length; i++) {
    const t = tokens[i]!;
    if (!(t.kind === 'word' && t.value === 'TABLE' && tokens[i + 1]!.kind === 'symbol' && tokens[i + 1]!.value === '(')) continue;
    // A dotted name of words or quoted identifiers, then "(".
    const parts: string[] = [];
    let j = i + 2;
    for (;;) {
      const part = tokens[j];
      if (!part || (part.kind !== 'word' && part.kind !== 'quoted')) break;
      // Lower-cased from the source, as Trino canonicalises names: a word the lexer upper-cased
      // (ſ → S) must not turn into the name of a built-in it is not.
      parts.push((part.kind === 'word' ? sql.slice(part.start, part.end) : part.value).toLowerCase());
      j++;
      if (tokens[j]?.kind === 'symbol' && tokens[j]!.value === '.') j++;
      else break;
    }
    const open = tokens[j];
    if (parts.length > 0 && open?.kind === 'symbol' && open.value === '(') found.push(parts.join('.'));
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
function separators(tokens: readonly Token[]): number {
  let count = 0;
  let routine = false;
  const open: Array<'BEGIN' | 'CASE'> = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === 'symbol') {
      if (t.value === ';' && open.length === 0) count++;
      continue;
    }
    if (t.kind !== 'word') continue;
    if (t.value === 'FUNCTION') routine = true;
    else if (t.value === 'BEGIN' && routine) open.push('BEGIN');
    else if (t.value === 'CASE' && open.length > 0) open.push('CASE');
    else if (t.value === 'END' && open.length > 0) {
      const next = tokens[i + 1];
      if (next?.kind === 'word' && COMPOUND_ENDS.has(next.value)) {
        if (next.value === 'CASE') open.pop();
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

/** The source without the token at `cut` (the trailing `;`), from `from`, trimmed. */
function textWithout(sql: string, from: number, cut: Token | undefined): string {
  return (cut ? sql.slice(from, cut.start) + sql.slice(cut.end) : sql.slice(from)).trim();
}

/**
 * Lexes the SQL once, splits off one trailing `;`, refuses a second statement, and
 * classifies the rest. Throws POLICY_DENIED (EMPTY, SINGLE_STATEMENT, LEXICAL,
 * EXPLAIN_OPTIONS) for what cannot be one well-formed statement.
 */
export function parseStatement(sql: string): Statement {
  const tokens = tokenize(sql);
  let end = tokens.length;
  const last = tokens[end - 1];
  const semicolon = last && last.kind === 'symbol' && last.value === ';' ? last : undefined;
  if (semicolon) end--;
  const body = tokens.slice(0, end);
  if (body.length === 0) throw policyDenied('EMPTY', 'The statement is empty.');
  if (separators(body) > 0) {
    throw policyDenied('SINGLE_STATEMENT', 'Only one statement per call is allowed; send each statement separately.');
  }
  const verdict = classifyFrom(body, 0);
  return {
    text: textWithout(sql, 0, semicolon),
    readOnly: verdict.readOnly,
    keywords: verdict.statement,
    analysed: textWithout(sql, body[verdict.index]?.start ?? 0, semicolon),
    shape: shapeOf(sql, body, verdict.index),
    tableFunctions: tableFunctions(sql, body),
  };
}

/**
 * `EXPLAIN (TYPE …) <statement>` without lexing again: an EXPLAIN prefix of word options
 * classifies as the statement it explains, so only the text changes.
 */
export function explainOf(statement: Statement, type: string): Statement {
  return { ...statement, text: `EXPLAIN (TYPE ${type}) ${statement.text}` };
}
