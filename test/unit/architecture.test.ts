import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Every module specifier of a file: static imports/exports, dynamic imports, require. */
export function specifiers(source: string): string[] {
  const out: string[] = [];
  const patterns = [/\bfrom\s+['"]([^'"]+)['"]/g, /\bimport\s+['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g, /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const p of patterns) for (const m of source.matchAll(p)) out.push(m[1]!);
  return out;
}

/**
 * The violations of the dependency rule in one file of src/domain or src/ports: relative
 * imports must stay inside domain/ports; bare packages are frameworks (koa, jose,
 * trino-client, the MCP SDK, inversify …) and are not allowed at all; `node:` built-ins are
 * the platform and are allowed.
 */
export function violations(file: string, source: string): string[] {
  return specifiers(source).filter((spec) => {
    if (spec.startsWith('.')) {
      const target = relative(join(root, 'src'), resolve(file, '..', spec)).split('/')[0];
      return target !== 'domain' && target !== 'ports';
    }
    return !spec.startsWith('node:');
  });
}

describe('dependency rule', () => {
  it('src/domain and src/ports import only each other (and node: built-ins)', () => {
    const offending = ['domain', 'ports'].flatMap((layer) =>
      files(join(root, 'src', layer)).flatMap((f) => violations(f, readFileSync(f, 'utf8')).map((v) => `${relative(root, f)} → ${v}`)),
    );
    expect(offending).toEqual([]);
  });

  it('the check catches adapters, app and framework imports', () => {
    const file = join(root, 'src', 'domain', 'x.ts');
    expect(violations(file, "import { Trino } from 'trino-client';")).toEqual(['trino-client']);
    expect(violations(file, "import { McpServer } from '@modelcontextprotocol/server';")).toHaveLength(1);
    expect(violations(file, "import { x } from '../adapters/trino/trino-query-engine.ts';")).toHaveLength(1);
    expect(violations(file, "export * from '../app/config.ts';")).toHaveLength(1);
    expect(violations(file, "const k = await import('koa');")).toEqual(['koa']);
    expect(violations(file, "import { injectable } from 'inversify';")).toEqual(['inversify']);
    expect(violations(file, "import type { QueryEngine } from '../ports/query-engine.ts';")).toEqual([]);
    expect(violations(file, "import { randomUUID } from 'node:crypto';")).toEqual([]);
  });
});
