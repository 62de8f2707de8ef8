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

/** The layers and which layers each may import (besides itself and `node:` built-ins); no bare packages. */
const ALLOWED: Record<string, readonly string[]> = {
  domain: [],
  ports: ['domain'],
  'use-cases': ['domain', 'ports'],
};
export const LAYERS = Object.keys(ALLOWED);

/**
 * The violations of the dependency rule in one file of a layer: a relative import must
 * land in the same layer or one it may import; bare packages are frameworks (koa, jose,
 * trino-client, the MCP SDK, inversify …) and are not allowed at all; `node:` built-ins
 * are the platform and are allowed.
 */
export function violations(file: string, source: string): string[] {
  const layer = relative(join(root, 'src'), file).split('/')[0]!;
  const allowed = new Set([layer, ...(ALLOWED[layer] ?? [])]);
  return specifiers(source).filter((spec) => {
    if (spec.startsWith('.')) {
      const target = relative(join(root, 'src'), resolve(file, '..', spec)).split('/')[0]!;
      return !allowed.has(target);
    }
    return !spec.startsWith('node:');
  });
}

describe('dependency rule', () => {
  it('domain imports only itself; ports only domain; use-cases only domain and ports (and node: built-ins)', () => {
    const offending = LAYERS.flatMap((layer) =>
      files(join(root, 'src', layer)).flatMap((f) => violations(f, readFileSync(f, 'utf8')).map((v) => `${relative(root, f)} → ${v}`)),
    );
    expect(offending).toEqual([]);
    for (const layer of LAYERS) expect(files(join(root, 'src', layer)).length, layer).toBeGreaterThan(0);
  });

  it('the check catches each forbidden direction and framework imports', () => {
    const domain = join(root, 'src', 'domain', 'x.ts');
    const ports = join(root, 'src', 'ports', 'x.ts');
    const useCases = join(root, 'src', 'use-cases', 'x.ts');
    expect(violations(domain, "import { Trino } from 'trino-client';")).toEqual(['trino-client']);
    expect(violations(domain, "import { McpServer } from '@modelcontextprotocol/server';")).toHaveLength(1);
    expect(violations(domain, "import { x } from '../adapters/trino/trino-query-engine.ts';")).toHaveLength(1);
    expect(violations(domain, "export * from '../app/config.ts';")).toHaveLength(1);
    expect(violations(domain, "const k = await import('koa');")).toEqual(['koa']);
    expect(violations(domain, "import { injectable } from 'inversify';")).toEqual(['inversify']);
    // The cycle the layers once had: domain importing ports or use-cases.
    expect(violations(domain, "import type { QueryEngine } from '../ports/query-engine.ts';")).toHaveLength(1);
    expect(violations(domain, "import { Call } from '../use-cases/call.ts';")).toHaveLength(1);
    expect(violations(domain, "import { randomUUID } from 'node:crypto';")).toEqual([]);
    expect(violations(domain, "import { tokenize } from './sql-lexer.ts';")).toEqual([]);
    expect(violations(ports, "import type { Principal } from '../domain/model.ts';")).toEqual([]);
    expect(violations(ports, "import { Call } from '../use-cases/call.ts';")).toHaveLength(1);
    expect(violations(useCases, "import type { QueryEngine } from '../ports/query-engine.ts';")).toEqual([]);
    expect(violations(useCases, "import { policyDenied } from '../domain/errors.ts';")).toEqual([]);
    expect(violations(useCases, "import { toolError } from '../adapters/mcp/errors.ts';")).toHaveLength(1);
    expect(violations(useCases, "import { z } from 'zod';")).toEqual(['zod']);
  });
});

describe('file size', () => {
  it('no file under src/ has more than 300 lines', () => {
    const long = files(join(root, 'src'))
      .map((f) => ({ file: relative(root, f), lines: readFileSync(f, 'utf8').split('\n').length - 1 }))
      .filter((f) => f.lines > 300);
    expect(long).toEqual([]);
  });
});
