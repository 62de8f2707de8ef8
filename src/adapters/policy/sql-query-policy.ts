import { inject, injectable } from 'inversify';
import { DomainError } from '../../domain/errors.ts';
import type { Principal } from '../../domain/model.ts';
import { tokenize, type Token } from '../../domain/sql-lexer.ts';
import { PolicySettings, type QueryPolicy } from '../../ports/query-policy.ts';

// DESC is Trino's short form of DESCRIBE.
const READ_ONLY_STARTS = new Set(['SELECT', 'WITH', 'VALUES', 'TABLE', 'SHOW', 'DESCRIBE', 'DESC']);
/** Words that open an EXPLAIN option list, `EXPLAIN (TYPE …, FORMAT …)`, as opposed to `EXPLAIN (SELECT …)`. */
const EXPLAIN_OPTIONS = new Set(['TYPE', 'FORMAT']);
const QUERY_STARTS = new Set(['SELECT', 'WITH', 'VALUES', 'TABLE']);
const ALLOWED_HINT =
  'Only reading statements are allowed: SELECT, WITH … SELECT, VALUES, TABLE, SHOW …, DESCRIBE … and EXPLAIN of those.';

export type StatementClass = { readonly readOnly: true } | { readonly readOnly: false; readonly statement: string };

function deny(rule: string, message: string): DomainError {
  return new DomainError('POLICY_DENIED', message, { rule });
}

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
        throw deny('EXPLAIN_OPTIONS', 'EXPLAIN options must be words such as (TYPE LOGICAL, FORMAT TEXT).');
      }
      j++;
    }
    if (j >= tokens.length) throw deny('EXPLAIN_OPTIONS', 'EXPLAIN options are missing their closing parenthesis.');
    i = j + 1;
  }
  return i;
}

/** Classifies tokens[from..] as reading or not. */
function classifyFrom(tokens: readonly Token[], from: number): StatementClass {
  let i = from;
  while (tokens[i]?.kind === 'symbol' && tokens[i]!.value === '(') i++;
  const first = tokens[i];
  if (!first) return { readOnly: false, statement: 'empty statement' };
  if (first.kind !== 'word') return { readOnly: false, statement: describe(tokens, i) };
  if (i > from) {
    // A parenthesised statement must be a query.
    return QUERY_STARTS.has(first.value) ? { readOnly: true } : { readOnly: false, statement: describe(tokens, i) };
  }
  if (first.value === 'EXPLAIN') return classifyFrom(tokens, skipExplainPrefix(tokens, i));
  if (READ_ONLY_STARTS.has(first.value)) return { readOnly: true };
  return { readOnly: false, statement: describe(tokens, i) };
}

/**
 * Splits off one trailing `;`, refuses a second statement, and classifies the rest.
 * Throws POLICY_DENIED for multiple statements and lexical errors.
 */
export function classifyStatement(sql: string): StatementClass {
  const tokens = tokenize(sql);
  let end = tokens.length;
  if (end > 0 && tokens[end - 1]!.kind === 'symbol' && tokens[end - 1]!.value === ';') end--;
  const body = tokens.slice(0, end);
  if (body.length === 0) throw deny('EMPTY', 'The statement is empty.');
  if (body.some((t) => t.kind === 'symbol' && t.value === ';')) {
    throw deny('SINGLE_STATEMENT', 'Only one statement per call is allowed; send each statement separately.');
  }
  return classifyFrom(body, 0);
}

/**
 * The SQL policy: read-only unless the operator allowed writes. Classification is
 * lexical (comments, literals and quoted identifiers are understood), not a prefix regex.
 */
@injectable()
export class SqlQueryPolicy implements QueryPolicy {
  constructor(@inject(PolicySettings) private readonly settings: PolicySettings) {}

  async authorize(sql: string, _principal: Principal): Promise<void> {
    const verdict = classifyStatement(sql);
    if (verdict.readOnly || this.settings.allowWrites) return;
    throw deny('READ_ONLY', `${verdict.statement} is not allowed: this server is read-only. ${ALLOWED_HINT}`);
  }
}
