/**
 * The build's bundle of inversify (scripts/vendor.ts): the compiled server imports one file
 * instead of some 250 modules. What the sources and their tests use is the package itself,
 * so the bundle must be that package: same version, same exports, and nothing built still
 * reaching for the package (which a production install no longer has).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIST = join(ROOT, 'dist');
const BUNDLE = join(DIST, 'vendor/inversify.js');

function modules(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? modules(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : []));
}

describe('the bundled inversify in dist/', () => {
  it('is the installed version, with its licence, and exports exactly what the package exports', async () => {
    const version = (JSON.parse(readFileSync(join(ROOT, 'node_modules/inversify/package.json'), 'utf8')) as { version: string }).version;
    expect(readFileSync(BUNDLE, 'utf8').split('\n')[0]).toContain(`inversify ${version} `);
    expect(readFileSync(join(DIST, 'vendor/inversify.LICENSE'), 'utf8')).toMatch(/MIT License/);
    const bundled = (await import(BUNDLE)) as Record<string, unknown>;
    const original = (await import('inversify')) as Record<string, unknown>;
    expect(Object.keys(bundled).sort()).toEqual(Object.keys(original).sort());
    for (const [name, value] of Object.entries(original)) expect(typeof bundled[name], name).toBe(typeof value);
  });

  it('is what every compiled module that uses inversify imports; none imports the package', () => {
    const bare = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])inversify\1/;
    const importers = modules(DIST).filter((f) => !f.startsWith(join(DIST, 'vendor')) && readFileSync(f, 'utf8').includes('vendor/inversify.js'));
    const stillBare = modules(DIST).filter((f) => bare.test(readFileSync(f, 'utf8')));
    expect(stillBare).toEqual([]);
    // The composition root and the injectable adapters.
    expect(importers.map((f) => f.slice(DIST.length + 1)).sort()).toEqual(
      expect.arrayContaining(['app/container.js', 'adapters/mcp/trino-mcp-server.js']),
    );
  });
});
