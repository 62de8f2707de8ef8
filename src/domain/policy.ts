import type { Access } from './access.ts';
import { Allowlist, type AllowlistSpec } from './allowlist.ts';
import { policyDenied } from './errors.ts';
import type { Principal } from './model.ts';
import type { Statement } from './statement.ts';

/** `read`: execute_query and explain_query (always read-only); `write`: execute_statement. */
export type StatementMode = 'read' | 'write';

/** A catalog, a schema or a table, by name. */
export interface ObjectRef {
  readonly catalog: string;
  readonly schema?: string | undefined;
  readonly table?: string | undefined;
}

export interface PolicySettings {
  /** TRINO_ALLOW_PASSTHROUGH_FUNCTIONS: table functions that send SQL to a connector are allowed in reads. */
  readonly allowPassthrough: boolean;
  /** TRINO_ALLOWED_CATALOGS / _SCHEMAS / _TABLES. */
  readonly allowlist: AllowlistSpec;
}

/**
 * Decides what a principal may run and see. The rules that need nothing but the text are
 * `check`; with allowlists the tables a statement touches come from Trino's own analysis,
 * which the use-case runs (it owns the engine and the call's deadline) and hands to
 * `checkAnalysis`.
 */
export interface QueryPolicy {
  /** Refuses (POLICY_DENIED, naming the rule) what the mode, the writes setting or pass-through rules forbid. */
  check(statement: Statement, mode: StatementMode, principal: Principal): void;
  /** Whether statements must be analysed by Trino (EXPLAIN (TYPE IO, FORMAT JSON)) before they run. */
  readonly needsAnalysis: boolean;
  /** Judges Trino's EXPLAIN (TYPE IO, FORMAT JSON) answer for the statement; refuses with ALLOWLIST. */
  checkAnalysis(plan: unknown): void;
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

  get needsAnalysis(): boolean {
    return this.allowlist.active;
  }

  visible(object: ObjectRef): boolean {
    if (object.table !== undefined && object.schema !== undefined) return this.allowlist.tableAllowed(object.catalog, object.schema, object.table);
    if (object.schema !== undefined) return this.allowlist.schemaVisible(object.catalog, object.schema);
    return this.allowlist.catalogVisible(object.catalog);
  }

  check(statement: Statement, mode: StatementMode, principal: Principal): void {
    if (mode === 'read') {
      if (!statement.readOnly) {
        const instead = this.access.allows(principal, 'write') ? ' Use execute_statement for statements that write.' : ' This server is read-only.';
        throw policyDenied('READ_ONLY', `${statement.keywords} is not a reading statement.${instead} ${ALLOWED_HINT}`);
      }
      if (statement.passthrough && !this.settings.allowPassthrough) {
        throw policyDenied(
          'PASSTHROUGH',
          `${statement.passthrough}(…) sends SQL to a connector unseen by Trino's analysis and is not allowed; query the tables directly instead.`,
        );
      }
    } else if (!this.access.allows(principal, 'write')) {
      const scope = this.access.settings.writeScope;
      throw policyDenied(
        'WRITES_DISABLED',
        this.access.offered('write') && scope
          ? `Writes need the scope ${scope}, which your token lacks.`
          : 'Writes are disabled on this server (TRINO_ALLOW_WRITE_QUERIES is not true).',
      );
    }
    if (this.allowlist.active && statement.passthrough) {
      // What the function runs is invisible to the analysis, so it cannot be held to the allowlist.
      throw policyDenied(
        'PASSTHROUGH',
        `${statement.passthrough}(…) sends SQL to a connector that cannot be checked against this server's allowlist; query the tables directly instead.`,
      );
    }
  }

  checkAnalysis(plan: unknown): void {
    const touched = touchedTables(plan);
    // Fail closed: anything but the documented shape (DDL answers plain text) is refused.
    if (!touched) {
      throw policyDenied(
        'ALLOWLIST',
        'With allowlists configured, only statements whose tables Trino can report are allowed (queries, INSERT, CREATE TABLE AS, DELETE, UPDATE, MERGE).',
      );
    }
    const outside = touched
      .filter((t) => !this.allowlist.tableAllowed(t.catalog, t.schemaTable.schema, t.schemaTable.table))
      .map((t) => `${t.catalog}.${t.schemaTable.schema}.${t.schemaTable.table}`);
    if (outside.length > 0) {
      throw policyDenied(
        'ALLOWLIST',
        `The statement touches ${[...new Set(outside)].join(', ')}, outside this server's allowlist; use list_catalogs, list_schemas and list_tables to see what is allowed.`,
      );
    }
  }
}
