import type { Access } from './access.ts';
import { Allowlist, type AllowlistSpec } from './allowlist.ts';
import { isDomainError, policyDenied, type DomainError } from './errors.ts';
import type { NameDefaults, Principal } from './model.ts';
import { PASSTHROUGH_FUNCTIONS, type Statement } from './statement.ts';
import type { NameParts } from './statement-shape.ts';

/** `read`: execute_query and explain_query (always read-only); `write`: execute_statement. */
export type StatementMode = 'read' | 'write';

/** A catalog, a schema or a table, by name. */
export interface ObjectRef {
  readonly catalog: string;
  readonly schema?: string | undefined;
  readonly table?: string | undefined;
}

export interface PolicySettings {
  /** TRINO_ALLOW_PASSTHROUGH_FUNCTIONS: reads may call any table function, pass-through ones included. */
  readonly allowPassthrough: boolean;
  /** TRINO_ALLOWED_TABLE_FUNCTIONS: table functions reads may call besides the built-in ones (lower case). */
  readonly allowedTableFunctions: readonly string[];
  /** TRINO_ALLOWED_CATALOGS / _SCHEMAS / _TABLES. */
  readonly allowlist: AllowlistSpec;
  /** TRINO_CATALOG / TRINO_SCHEMA: how the engine resolves a name written without its catalog or schema. */
  readonly defaults: NameDefaults;
}

/**
 * Table functions that run inside Trino and only compute (Trino's built-in ones), called
 * by their short name or as `system.builtin.<name>`. Every other table function is a
 * connector's: it may reach an external system or write (SQL Server's `procedure`), and it
 * reports no tables to the analysis.
 */
const BUILTIN_TABLE_FUNCTIONS: ReadonlySet<string> = new Set(['sequence', 'exclude_columns', 'system.builtin.sequence', 'system.builtin.exclude_columns']);

/**
 * The one refusal of a statement the allowlist analysis judged or could not judge. It
 * names nothing: a caller must not tell an outside object that exists from one that does
 * not (Trino's analysis fails on the second, reports the first).
 */
function outsideOrMissing(): DomainError {
  return policyDenied(
    'ALLOWLIST',
    "The statement refers to an object that does not exist or is outside this server's allowlist. Use list_catalogs, list_schemas, list_tables and get_table_schema to see what is allowed.",
  );
}

/**
 * Decides what a principal may run and see. The rules that need nothing but the text are
 * `check`; with allowlists the tables a statement touches come from Trino's own analysis,
 * which the use-case runs (it owns the engine and the call's deadline) and hands to
 * `checkAnalysis`.
 */
export interface QueryPolicy {
  /**
   * Refuses (POLICY_DENIED, naming the rule) what the mode, the writes setting, the table
   * function rules or the allowlist's name checks forbid. Returns the SQL whose Trino
   * analysis (EXPLAIN (TYPE IO, FORMAT JSON)) must be judged before the statement may run,
   * or undefined when none is needed.
   */
  check(statement: Statement, mode: StatementMode, principal: Principal): string | undefined;
  /** Judges Trino's EXPLAIN (TYPE IO, FORMAT JSON) answer for the statement; refuses with ALLOWLIST. */
  checkAnalysis(plan: unknown): void;
  /** What a failure of that analysis becomes: Trino's answer about an outside name must not leak. */
  analysisFailed(err: unknown): unknown;
  /** Whether listings may show the object and get_table_schema may describe it. */
  visible(object: ObjectRef): boolean;
}

const ALLOWED_HINT =
  'Only reading statements are allowed: SELECT, WITH … SELECT, VALUES, TABLE, SHOW …, DESCRIBE … and EXPLAIN of those.';

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

/** The tables of an EXPLAIN IO answer, or undefined for anything but its documented shape. */
function touchedTables(plan: unknown): IoTable[] | undefined {
  let io: unknown;
  try {
    io = JSON.parse(String(plan));
  } catch {
    return undefined;
  }
  const shape = io as { inputTableColumnInfos?: unknown; outputTable?: unknown } | null | undefined;
  if (!shape || typeof shape !== 'object' || !Array.isArray(shape.inputTableColumnInfos)) return undefined;
  const inputs = shape.inputTableColumnInfos.map((i) => (i as { table?: unknown } | null)?.table);
  if (!inputs.every(isIoTable)) return undefined;
  if (shape.outputTable !== undefined && !isIoTable(shape.outputTable)) return undefined;
  return [...inputs, ...(shape.outputTable ? [shape.outputTable] : [])];
}

/**
 * The SQL policy. Reads must classify as reading, whatever TRINO_ALLOW_WRITE_QUERIES
 * says (writes go through execute_statement); writes need `Access` to allow the caller.
 * With allowlists set, the tables come from Trino's analysis, so views, CTEs, subqueries
 * and information_schema are resolved the way Trino resolves them; without allowlists
 * no analysis is needed.
 */
export class SqlQueryPolicy implements QueryPolicy {
  private readonly allowlist: Allowlist;

  constructor(
    private readonly settings: PolicySettings,
    private readonly access: Access,
  ) {
    this.allowlist = new Allowlist(settings.allowlist);
  }

  visible(object: ObjectRef): boolean {
    if (object.table !== undefined && object.schema !== undefined) return this.allowlist.tableAllowed(object.catalog, object.schema, object.table);
    if (object.schema !== undefined) return this.allowlist.schemaVisible(object.catalog, object.schema);
    return this.allowlist.catalogVisible(object.catalog);
  }

  check(statement: Statement, mode: StatementMode, principal: Principal): string | undefined {
    if (mode === 'read') {
      if (!statement.readOnly) {
        const instead = this.access.allows(principal, 'write') ? ' Use execute_statement for statements that write.' : ' This server is read-only.';
        throw policyDenied('READ_ONLY', `${statement.keywords} is not a reading statement.${instead} ${ALLOWED_HINT}`);
      }
      for (const fn of statement.tableFunctions) this.checkTableFunction(fn);
    } else if (!this.access.allows(principal, 'write')) {
      const scope = this.access.settings.writeScope;
      throw policyDenied(
        'WRITES_DISABLED',
        this.access.offered('write') && scope
          ? `Writes need the scope ${scope}, which your token lacks.`
          : 'Writes are disabled on this server (TRINO_ALLOW_WRITE_QUERIES is not true).',
      );
    }
    return this.allowlist.active ? this.checkNames(statement) : undefined;
  }

  /** In reads: Trino's built-in table functions, those TRINO_ALLOWED_TABLE_FUNCTIONS lists, or any with pass-through on. */
  private checkTableFunction(fn: string): void {
    if (BUILTIN_TABLE_FUNCTIONS.has(fn) || this.settings.allowPassthrough) return;
    const short = fn.slice(fn.lastIndexOf('.') + 1);
    if (PASSTHROUGH_FUNCTIONS.has(short)) {
      throw policyDenied(
        'PASSTHROUGH',
        `${fn}(…) sends SQL to a connector unseen by Trino's analysis and is not allowed; query the tables directly instead.`,
      );
    }
    if (!this.allowlist.active && this.settings.allowedTableFunctions.some((f) => f === fn || (!f.includes('.') && f === short))) return;
    throw policyDenied(
      'TABLE_FUNCTION',
      `${fn}(…) is a connector's table function, which this server does not allow in reads${this.allowlist.active ? ' while allowlists are set' : ''}.`,
    );
  }

  /** The allowlist's checks by name, before any analysis; returns what the analysis must judge. */
  private checkNames(statement: Statement): string | undefined {
    const connectorFn = statement.tableFunctions.find((fn) => !BUILTIN_TABLE_FUNCTIONS.has(fn));
    if (connectorFn) {
      // What a connector's table function reads is invisible to the analysis.
      const rule = PASSTHROUGH_FUNCTIONS.has(connectorFn.slice(connectorFn.lastIndexOf('.') + 1)) ? 'PASSTHROUGH' : 'TABLE_FUNCTION';
      throw policyDenied(rule, `${connectorFn}(…) reads what the analysis cannot see, so it cannot be checked against this server's allowlist; query the tables directly instead.`);
    }
    const shape = statement.shape;
    switch (shape.kind) {
      case 'query':
        return statement.analysed;
      case 'write':
        this.requireTable(shape.target);
        return statement.analysed;
      case 'create-table-as':
        this.requireTable(shape.target);
        // Never the CTAS itself: planning it may already create the table (memory connector).
        return shape.query;
      case 'names-table':
        this.requireTable(shape.target);
        return undefined;
      case 'stats-of-query':
        return shape.query;
      case 'other':
        throw policyDenied(
          'ALLOWLIST',
          `With allowlists configured, ${statement.keywords} is not allowed: only queries, INSERT, UPDATE, DELETE, MERGE, CREATE TABLE … AS, DESCRIBE, SHOW COLUMNS, SHOW CREATE TABLE/VIEW and SHOW STATS, whose objects can be checked. Use the listing tools for catalogs, schemas and tables.`,
        );
      default: {
        const unreachable: never = shape;
        return unreachable;
      }
    }
  }

  /** A table named in the statement, resolved as the engine resolves it; refused by name when outside. */
  private requireTable(parts: NameParts): void {
    const { catalog, schema } = this.settings.defaults;
    const [c, s, t] = parts.length === 3 ? parts : parts.length === 2 ? [catalog, parts[0], parts[1]] : [catalog, schema, parts[0]];
    const written = parts.join('.');
    if (!c || !s || !t) throw policyDenied('ALLOWLIST', `${written} needs its catalog and schema written out: this server has no default to resolve it.`);
    if (!this.allowlist.tableAllowed(c, s, t)) throw policyDenied('ALLOWLIST', `${c}.${s}.${t} is outside this server's allowlist.`);
  }

  checkAnalysis(plan: unknown): void {
    const touched = touchedTables(plan);
    // Fail closed: anything but the documented shape (DDL answers plain text) is refused.
    if (!touched) {
      throw policyDenied('ALLOWLIST', 'With allowlists configured, only statements whose tables Trino can report are allowed.');
    }
    if (touched.some((t) => !this.allowlist.tableAllowed(t.catalog, t.schemaTable.schema, t.schemaTable.table))) throw outsideOrMissing();
  }

  analysisFailed(err: unknown): unknown {
    // A syntax error is found before any name is resolved: it tells nothing about what exists.
    if (isDomainError(err) && err.code === 'QUERY_INVALID' && err.details.errorName !== 'SYNTAX_ERROR') return outsideOrMissing();
    return err;
  }
}
