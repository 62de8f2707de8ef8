/**
 * Which catalogs, schemas and tables the server may touch (TRINO_ALLOWED_CATALOGS,
 * TRINO_ALLOWED_SCHEMAS, TRINO_ALLOWED_TABLES). Patterns are `catalog`,
 * `catalog.schema`, `catalog.schema.table`, each part a glob (`*` any run, `?` one
 * character). Names compare as Trino compares them: case-insensitively (Trino folds
 * identifiers, quoted or not, to lower case).
 *
 * The three lists narrow each other: a table is allowed when its catalog, its schema and
 * the table itself pass every list that is set. A catalog is visible when some allowed
 * schema or table can live in it; a schema likewise.
 */
export interface AllowlistSpec {
  readonly catalogs: readonly string[];
  readonly schemas: readonly string[];
  readonly tables: readonly string[];
}

type Glob = (name: string) => boolean;

function glob(pattern: string): Glob {
  const source = pattern
    .toLowerCase()
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replaceAll('*', '.*')
    .replaceAll('?', '.');
  const re = new RegExp(`^${source}$`, 's');
  return (name) => re.test(name.toLowerCase());
}

/** Checks a list of dotted patterns; returns one error line per malformed entry. */
export function validatePatterns(variable: string, patterns: readonly string[], parts: number): string[] {
  const example = ['catalog', 'catalog.schema', 'catalog.schema.table'][parts - 1];
  return patterns
    .filter((p) => p.split('.').length !== parts || p.split('.').some((x) => x.length === 0))
    .map((p) => `${variable}: "${p}" must have the form ${example}`);
}

export class Allowlist {
  private readonly catalogs: Glob[];
  private readonly schemas: Array<[Glob, Glob]>;
  private readonly tables: Array<[Glob, Glob, Glob]>;

  constructor(readonly spec: AllowlistSpec) {
    this.catalogs = spec.catalogs.map(glob);
    this.schemas = spec.schemas.map((p) => {
      const [c, s] = p.split('.');
      return [glob(c!), glob(s!)];
    });
    this.tables = spec.tables.map((p) => {
      const [c, s, t] = p.split('.');
      return [glob(c!), glob(s!), glob(t!)];
    });
  }

  static none(): Allowlist {
    return new Allowlist({ catalogs: [], schemas: [], tables: [] });
  }

  /** Whether any list is set (no list: everything is allowed, and no analysis is needed). */
  get active(): boolean {
    return this.catalogs.length + this.schemas.length + this.tables.length > 0;
  }

  catalogVisible(catalog: string): boolean {
    return (
      (this.catalogs.length === 0 || this.catalogs.some((g) => g(catalog))) &&
      (this.schemas.length === 0 || this.schemas.some(([c]) => c(catalog))) &&
      (this.tables.length === 0 || this.tables.some(([c]) => c(catalog)))
    );
  }

  schemaVisible(catalog: string, schema: string): boolean {
    return (
      this.catalogVisible(catalog) &&
      (this.schemas.length === 0 || this.schemas.some(([c, s]) => c(catalog) && s(schema))) &&
      (this.tables.length === 0 || this.tables.some(([c, s]) => c(catalog) && s(schema)))
    );
  }

  tableAllowed(catalog: string, schema: string, table: string): boolean {
    return (
      this.schemaVisible(catalog, schema) &&
      (this.tables.length === 0 || this.tables.some(([c, s, t]) => c(catalog) && s(schema) && t(table)))
    );
  }
}
