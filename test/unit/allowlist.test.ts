import { describe, expect, it } from 'vitest';
import { Allowlist, validatePatterns, type AllowlistSpec } from '../../src/domain/allowlist.ts';

const allowlist = (spec: Partial<AllowlistSpec>) => new Allowlist({ catalogs: [], schemas: [], tables: [], ...spec });

describe('Allowlist globs', () => {
  it('matches * against any run of characters, including none', () => {
    const a = allowlist({ catalogs: ['tp*'] });
    expect(a.catalogVisible('tpch')).toBe(true);
    expect(a.catalogVisible('tpcds')).toBe(true);
    expect(a.catalogVisible('tp')).toBe(true);
    expect(a.catalogVisible('memory')).toBe(false);
    expect(a.catalogVisible('xtpch')).toBe(false);
  });

  it('matches * anywhere in a part', () => {
    const a = allowlist({ tables: ['hive.*_prod.*orders*'] });
    expect(a.tableAllowed('hive', 'sales_prod', 'orders')).toBe(true);
    expect(a.tableAllowed('hive', '_prod', 'all_orders_2024')).toBe(true);
    expect(a.tableAllowed('hive', 'sales_dev', 'orders')).toBe(false);
    expect(a.tableAllowed('hive', 'sales_prod', 'customers')).toBe(false);
  });

  it('matches ? against exactly one character', () => {
    const a = allowlist({ schemas: ['tpch.sf?'] });
    expect(a.schemaVisible('tpch', 'sf1')).toBe(true);
    expect(a.schemaVisible('tpch', 'sfx')).toBe(true);
    expect(a.schemaVisible('tpch', 'sf')).toBe(false);
    expect(a.schemaVisible('tpch', 'sf10')).toBe(false);
  });

  it('anchors a pattern: the whole name must match', () => {
    const a = allowlist({ catalogs: ['tpch'] });
    expect(a.catalogVisible('tpch')).toBe(true);
    expect(a.catalogVisible('tpch2')).toBe(false);
    expect(a.catalogVisible('my_tpch')).toBe(false);
  });

  it.each([
    ['a+b', 'a+b', 'aab'],
    ['a(b)', 'a(b)', 'ab'],
    ['[ab]', '[ab]', 'a'],
    ['c|d', 'c|d', 'c'],
    ['x$y^', 'x$y^', 'xy'],
    ['{1}', '{1}', '1'],
    ['back\\slash', 'back\\slash', 'backslash'],
  ])('treats regular-expression characters in %j literally', (pattern, matching, notMatching) => {
    const a = allowlist({ catalogs: [pattern] });
    expect(a.catalogVisible(matching)).toBe(true);
    expect(a.catalogVisible(notMatching)).toBe(false);
  });

  it('compares case-insensitively, both ways', () => {
    const a = allowlist({ catalogs: ['TPCH', 'memory'], schemas: ['Tpch.Sales_*', 'MEMORY.default'], tables: ['tpch.SALES_*.Orders', 'memory.default.*'] });
    expect(a.catalogVisible('tpch')).toBe(true);
    expect(a.catalogVisible('MEMORY')).toBe(true);
    expect(a.schemaVisible('TPCH', 'sales_2024')).toBe(true);
    expect(a.schemaVisible('memory', 'DEFAULT')).toBe(true);
    expect(a.tableAllowed('tpch', 'sales_eu', 'ORDERS')).toBe(true);
    expect(a.tableAllowed('Memory', 'Default', 'Anything')).toBe(true);
    expect(a.tableAllowed('tpch', 'sales_eu', 'lineitem')).toBe(false);
  });
});

describe('Allowlist lists narrow each other', () => {
  it('catalogs only: every schema and table of an allowed catalog', () => {
    const a = allowlist({ catalogs: ['tpch'] });
    expect(a.catalogVisible('tpch')).toBe(true);
    expect(a.schemaVisible('tpch', 'anything')).toBe(true);
    expect(a.tableAllowed('tpch', 'sf1', 'nation')).toBe(true);
    expect(a.catalogVisible('memory')).toBe(false);
    expect(a.schemaVisible('memory', 'default')).toBe(false);
    expect(a.tableAllowed('memory', 'default', 't')).toBe(false);
  });

  it('schemas only: a catalog is visible when an allowed schema can live in it', () => {
    const a = allowlist({ schemas: ['tpch.sf1', '*.public'] });
    expect(a.catalogVisible('tpch')).toBe(true);
    expect(a.catalogVisible('postgres')).toBe(true); // *.public can live anywhere
    expect(a.schemaVisible('tpch', 'sf1')).toBe(true);
    expect(a.schemaVisible('tpch', 'sf100')).toBe(false);
    expect(a.schemaVisible('postgres', 'public')).toBe(true);
    expect(a.schemaVisible('postgres', 'private')).toBe(false);
    expect(a.tableAllowed('tpch', 'sf1', 'nation')).toBe(true);
    expect(a.tableAllowed('tpch', 'tiny', 'nation')).toBe(false);
  });

  it('tables only: catalogs and schemas are visible when an allowed table can live in them', () => {
    const a = allowlist({ tables: ['tpch.sf1.nation'] });
    expect(a.catalogVisible('tpch')).toBe(true);
    expect(a.catalogVisible('memory')).toBe(false);
    expect(a.schemaVisible('tpch', 'sf1')).toBe(true);
    expect(a.schemaVisible('tpch', 'tiny')).toBe(false);
    expect(a.tableAllowed('tpch', 'sf1', 'nation')).toBe(true);
    expect(a.tableAllowed('tpch', 'sf1', 'region')).toBe(false);
  });

  it('a catalog allowed by the catalog list but holding no allowed schema is not visible', () => {
    const a = allowlist({ catalogs: ['tpch', 'memory'], schemas: ['tpch.sf1'] });
    expect(a.catalogVisible('tpch')).toBe(true);
    expect(a.catalogVisible('memory')).toBe(false);
    expect(a.schemaVisible('memory', 'default')).toBe(false);
    expect(a.schemaVisible('tpch', 'sf1')).toBe(true);
    expect(a.tableAllowed('tpch', 'sf1', 'anything')).toBe(true);
  });

  it('the catalog list restricts wider schema and table patterns', () => {
    const a = allowlist({ catalogs: ['memory'], schemas: ['*.default'], tables: ['*.default.t*'] });
    expect(a.catalogVisible('memory')).toBe(true);
    expect(a.catalogVisible('tpch')).toBe(false);
    expect(a.schemaVisible('tpch', 'default')).toBe(false);
    expect(a.tableAllowed('tpch', 'default', 't1')).toBe(false);
    expect(a.tableAllowed('memory', 'default', 't1')).toBe(true);
    expect(a.tableAllowed('memory', 'default', 'x')).toBe(false);
  });

  it('the schema list restricts wider table patterns, and the table list narrows schemas', () => {
    const a = allowlist({ schemas: ['hive.sales'], tables: ['hive.*.orders'] });
    expect(a.schemaVisible('hive', 'sales')).toBe(true);
    expect(a.schemaVisible('hive', 'hr')).toBe(false); // hive.*.orders could live there, but the schema list says no
    expect(a.tableAllowed('hive', 'sales', 'orders')).toBe(true);
    expect(a.tableAllowed('hive', 'hr', 'orders')).toBe(false);
    expect(a.tableAllowed('hive', 'sales', 'customers')).toBe(false);

    const b = allowlist({ schemas: ['hive.*'], tables: ['hive.sales.orders'] });
    expect(b.schemaVisible('hive', 'sales')).toBe(true);
    expect(b.schemaVisible('hive', 'hr')).toBe(false); // no allowed table can live there
  });

  it('allows a table only when catalog, schema and table each pass every list that is set', () => {
    const a = allowlist({ catalogs: ['c*'], schemas: ['c1.s*', 'c2.s1'], tables: ['c?.s1.t', 'c1.s2.*'] });
    const allowed: Array<[string, string, string]> = [
      ['c1', 's1', 't'],
      ['c2', 's1', 't'],
      ['c1', 's2', 'anything'],
    ];
    const denied: Array<[string, string, string]> = [
      ['c1', 's1', 'u'], // table list
      ['c2', 's2', 'x'], // schema list
      ['d1', 's1', 't'], // catalog list
      ['c3', 's1', 't'], // schema list (c3.s1 not listed)
    ];
    for (const [c, s, t] of allowed) expect(a.tableAllowed(c, s, t), `${c}.${s}.${t}`).toBe(true);
    for (const [c, s, t] of denied) expect(a.tableAllowed(c, s, t), `${c}.${s}.${t}`).toBe(false);
  });
});

describe('Allowlist without lists', () => {
  it('is not active and allows everything', () => {
    for (const a of [Allowlist.none(), allowlist({})]) {
      expect(a.active).toBe(false);
      expect(a.catalogVisible('any')).toBe(true);
      expect(a.schemaVisible('any', 'thing')).toBe(true);
      expect(a.tableAllowed('any', 'thing', 'at all')).toBe(true);
    }
  });

  it.each([
    ['catalogs', { catalogs: ['c'] }],
    ['schemas', { schemas: ['c.s'] }],
    ['tables', { tables: ['c.s.t'] }],
  ])('is active as soon as %s is set', (_name, spec) => {
    expect(allowlist(spec).active).toBe(true);
  });

  it('keeps the spec it was built from', () => {
    const spec: AllowlistSpec = { catalogs: ['a'], schemas: ['a.b'], tables: [] };
    expect(new Allowlist(spec).spec).toEqual(spec);
  });
});

describe('validatePatterns', () => {
  it('accepts well-formed patterns, globs included', () => {
    expect(validatePatterns('TRINO_ALLOWED_CATALOGS', ['tpch', 'mem*', '?'], 1)).toEqual([]);
    expect(validatePatterns('TRINO_ALLOWED_SCHEMAS', ['tpch.sf1', '*.public'], 2)).toEqual([]);
    expect(validatePatterns('TRINO_ALLOWED_TABLES', ['tpch.sf1.nation', '*.*.*'], 3)).toEqual([]);
    expect(validatePatterns('TRINO_ALLOWED_TABLES', [], 3)).toEqual([]);
  });

  it('reports one line per malformed entry, naming the variable and the entry', () => {
    const lines = validatePatterns('TRINO_ALLOWED_SCHEMAS', ['tpch', 'ok.fine', 'a.b.c', 'a.', '.b'], 2);
    expect(lines).toHaveLength(4);
    for (const [line, entry] of lines.map((l, i) => [l, ['tpch', 'a.b.c', 'a.', '.b'][i]!] as const)) {
      expect(line).toContain('TRINO_ALLOWED_SCHEMAS');
      expect(line).toContain(`"${entry}"`);
      expect(line).toContain('catalog.schema');
      expect(line).not.toContain('\n');
    }
  });

  it.each([
    ['TRINO_ALLOWED_CATALOGS', 'a.b', 1, 'catalog'],
    ['TRINO_ALLOWED_TABLES', 'a.b', 3, 'catalog.schema.table'],
    ['TRINO_ALLOWED_TABLES', 'a..c', 3, 'catalog.schema.table'],
    ['TRINO_ALLOWED_TABLES', 'a.b.c.d', 3, 'catalog.schema.table'],
  ])('%s rejects %j', (variable, entry, parts, form) => {
    const lines = validatePatterns(variable, [entry], parts);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(variable);
    expect(lines[0]).toContain(`"${entry}"`);
    expect(lines[0]).toContain(form);
  });
});
