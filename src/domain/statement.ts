import { policyDenied } from './errors.ts';
import { tokenize, type Token } from './sql-lexer.ts';

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

/** Classifies tokens[from..] as reading or not. */
function classifyFrom(tokens: readonly Token[], from: number): { readOnly: boolean; statement: string; start: number } {
  let i = from;
  while (tokens[i]?.kind === 'symbol' && tokens[i]!.value === '(') i++;
  const first = tokens[i];
  const start = tokens[from]?.start ?? 0;
  if (!first) return { readOnly: false, statement: 'empty statement', start };
  if (first.kind !== 'word') return { readOnly: false, statement: describe(tokens, i), start };
  if (i > from) {
    // A parenthesised statement must be a query.
    return { readOnly: QUERY_STARTS.has(first.value), statement: describe(tokens, i), start };
  }
  if (first.value === 'EXPLAIN') return classifyFrom(tokens, skipExplainPrefix(tokens, i));
  return { readOnly: READ_ONLY_STARTS.has(first.value), statement: describe(tokens, i), start };
}

/**
 * Table functions that hand SQL text to a connector, which runs it unseen by Trino's
 * analysis and access control (`system.query` of the JDBC connectors, BigQuery and
 * others; `raw_query` of Elasticsearch/OpenSearch).
 */
const PASSTHROUGH_FUNCTIONS = new Set(['QUERY', 'RAW_QUERY']);

/** The first call of a pass-through table function, `TABLE( [c.][s.]query (`, or undefined. */
function findPassthrough(tokens: readonly Token[]): string | undefined {
  for (let i = 0; i + 2 < tokens.length; i++) {
    const t = tokens[i]!;
    if (!(t.kind === 'word' && t.value === 'TABLE' && tokens[i + 1]!.kind === 'symbol' && tokens[i + 1]!.value === '(')) continue;
    // A dotted name of words or quoted identifiers, then "(".
    const parts: string[] = [];
    let j = i + 2;
    for (;;) {
      const part = tokens[j];
      if (!part || (part.kind !== 'word' && part.kind !== 'quoted')) break;
      parts.push(part.kind === 'word' ? part.value : part.value.toUpperCase());
      j++;
      if (tokens[j]?.kind === 'symbol' && tokens[j]!.value === '.') j++;
      else break;
    }
    const open = tokens[j];
    const last = parts[parts.length - 1];
    if (last && open?.kind === 'symbol' && open.value === '(' && PASSTHROUGH_FUNCTIONS.has(last)) return parts.join('.').toLowerCase();
  }
  return undefined;
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
  if (body.some((t) => t.kind === 'symbol' && t.value === ';')) {
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
