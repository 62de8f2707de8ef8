import { inject, injectable } from 'inversify';
import { DomainError } from '../../domain/errors.ts';
import { Allowlist } from '../../domain/allowlist.ts';
import { stripTrailingSemicolon, tokenize, type Token } from '../../domain/sql-lexer.ts';
import { readCapped } from '../../domain/use-cases.ts';
import { QueryEngine } from '../../ports/query-engine.ts';
import { PolicySettings, type AuthorizeContext, type ObjectRef, type QueryPolicy } from '../../ports/query-policy.ts';

// DESC is Trino's short form of DESCRIBE.
const READ_ONLY_STARTS = new Set(['SELECT', 'WITH', 'VALUES', 'TABLE', 'SHOW', 'DESCRIBE', 'DESC']);
/** Words that open an EXPLAIN option list, `EXPLAIN (TYPE …, FORMAT …)`, as opposed to `EXPLAIN (SELECT …)`. */
const EXPLAIN_OPTIONS = new Set(['TYPE', 'FORMAT']);
const QUERY_STARTS = new Set(['SELECT', 'WITH', 'VALUES', 'TABLE']);
const ALLOWED_HINT =
  'Only reading statements are allowed: SELECT, WITH … SELECT, VALUES, TABLE, SHOW …, DESCRIBE … and EXPLAIN of those.';

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

export interface StatementClass {
  /** The statement only reads (SELECT, WITH, VALUES, TABLE, SHOW, DESCRIBE, or EXPLAIN of those). */
  readonly readOnly: boolean;
  /** Its leading keywords, for messages (e.g. `INSERT INTO`). */
  readonly statement: string;
  /** Offset in the text where the analysed statement starts (after any EXPLAIN prefix). */
  readonly start: number;
  /** A pass-through table function the statement calls, if any. */
  readonly passthrough?: string | undefined;
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
  const passthrough = findPassthrough(body);
  return { ...classifyFrom(body, 0), ...(passthrough ? { passthrough } : {}) };
}

interface IoTable {
  catalog: string;
  schemaTable: { schema: string; table: string };
}

function isIoTable(value: unknown): value is IoTable {
  const t = value as IoTable | undefined;
  return (
    typeof t === 'object' &&
    t !== null &&
    typeof t.catalog === 'string' &&
    typeof t.schemaTable?.schema === 'string' &&
    typeof t.schemaTable?.table === 'string'
  );
}

/**
 * The SQL policy. Reads must classify as reading, whatever TRINO_ALLOW_WRITE_QUERIES
 * says (writes go through execute_statement). Classification is lexical: comments,
 * literals and quoted identifiers are understood; it is not a prefix regex.
 *
 * With allowlists set, the tables a statement reads and writes come from Trino's own
 * analysis (EXPLAIN (TYPE IO, FORMAT JSON)), so views, CTEs, subqueries and
 * information_schema are resolved the way Trino resolves them. Without allowlists there
 * is no such round trip.
 */
@injectable()
export class SqlQueryPolicy implements QueryPolicy {
  private readonly allowlist: Allowlist;

  constructor(
    @inject(PolicySettings) private readonly settings: PolicySettings,
    @inject(QueryEngine) private readonly engine: QueryEngine,
  ) {
    this.allowlist = new Allowlist(settings.allowlist);
  }

  visible(object: ObjectRef): boolean {
    if (object.table !== undefined && object.schema !== undefined) return this.allowlist.tableAllowed(object.catalog, object.schema, object.table);
    if (object.schema !== undefined) return this.allowlist.schemaVisible(object.catalog, object.schema);
    return this.allowlist.catalogVisible(object.catalog);
  }

  async authorize(sql: string, context: AuthorizeContext): Promise<void> {
    const verdict = classifyStatement(sql);
    if (context.mode === 'read') {
      if (!verdict.readOnly) {
        const instead = this.settings.allowWrites ? ' Use execute_statement for statements that write.' : ' This server is read-only.';
        throw deny('READ_ONLY', `${verdict.statement} is not a reading statement.${instead} ${ALLOWED_HINT}`);
      }
      if (verdict.passthrough && !this.settings.allowPassthrough) {
        throw deny(
          'PASSTHROUGH',
          `${verdict.passthrough}(…) sends SQL to a connector unseen by Trino's analysis and is not allowed; query the tables directly instead.`,
        );
      }
    } else if (!this.settings.allowWrites) {
      throw deny('WRITES_DISABLED', 'Writes are disabled on this server (TRINO_ALLOW_WRITE_QUERIES is not true).');
    }
    if (this.allowlist.active) {
      if (verdict.passthrough) {
        // What the function runs is invisible to the analysis, so it cannot be held to the allowlist.
        throw deny(
          'PASSTHROUGH',
          `${verdict.passthrough}(…) sends SQL to a connector that cannot be checked against this server's allowlist; query the tables directly instead.`,
        );
      }
      await this.checkAllowlist(stripTrailingSemicolon(sql.slice(verdict.start)), context);
    }
  }

  private async checkAllowlist(statement: string, context: AuthorizeContext): Promise<void> {
    const result = await readCapped(
      this.engine,
      {
        sql: `EXPLAIN (TYPE IO, FORMAT JSON) ${statement}`,
        principal: context.principal,
        catalog: this.settings.defaults.catalog,
        schema: this.settings.defaults.schema,
      },
      context.signal,
      { maxRows: 10, timeoutMs: this.settings.timeoutMs },
    );
    let io: unknown;
    try {
      io = JSON.parse(String(result.rows[0]?.[0]));
    } catch {
      io = undefined;
    }
    // Fail closed: anything but the documented shape (DDL answers plain text) is refused.
    const shape = io as { inputTableColumnInfos?: unknown; outputTable?: unknown } | null | undefined;
    if (!shape || typeof shape !== 'object' || !Array.isArray(shape.inputTableColumnInfos) || !shape.inputTableColumnInfos.every((i) => isIoTable((i as { table?: unknown })?.table)) || (shape.outputTable !== undefined && !isIoTable(shape.outputTable))) {
      throw deny(
        'ALLOWLIST',
        'With allowlists configured, only statements whose tables Trino can report are allowed (queries, INSERT, CREATE TABLE AS, DELETE, UPDATE, MERGE).',
      );
    }
    const inputs = (shape.inputTableColumnInfos as Array<{ table: IoTable }>).map((i) => i.table);
    const touched = [...inputs, ...(shape.outputTable ? [shape.outputTable as IoTable] : [])];
    const outside = touched
      .filter((t) => !this.allowlist.tableAllowed(t.catalog, t.schemaTable.schema, t.schemaTable.table))
      .map((t) => `${t.catalog}.${t.schemaTable.schema}.${t.schemaTable.table}`);
    if (outside.length > 0) {
      throw deny(
        'ALLOWLIST',
        `The statement touches ${[...new Set(outside)].join(', ')}, outside this server's allowlist; use list_catalogs, list_schemas and list_tables to see what is allowed.`,
      );
    }
  }
}
