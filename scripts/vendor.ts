/**
 * The last step of `npm run build`: inversify, bundled into one module (dist/vendor/inversify.js),
 * and the compiled files that import it pointed at that module.
 *
 * Why: inversify ships as some 250 ES module files (@inversifyjs/core alone 177). Resolving,
 * compiling and linking them was about 100 ms of the 0.5 s a stdio server took to answer
 * `initialize` (bench/trino.mjs measures it); the same code in one file loads in about 10 ms.
 * esbuild does the bundling; what is written here is only which specifier to point where.
 * The sources keep importing `inversify`: the tests that run them use the package itself, and
 * a test checks that the bundle exports the same names.
 */
import { readFileSync, readdirSync, writeFileSync, copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const out = join(dist, 'vendor/inversify.js');
const pkg = JSON.parse(readFileSync(join(root, 'node_modules/inversify/package.json'), 'utf8')) as { version: string };

mkdirSync(dirname(out), { recursive: true });
await build({
  stdin: { contents: "export * from 'inversify';", resolveDir: root, sourcefile: 'inversify-entry.js' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  outfile: out,
  legalComments: 'inline',
  banner: { js: `// inversify ${pkg.version} and its @inversifyjs packages (MIT: inversify.LICENSE), bundled by scripts/vendor.ts.` },
  logLevel: 'warning',
});
copyFileSync(join(root, 'node_modules/inversify/LICENSE'), join(dist, 'vendor/inversify.LICENSE'));

/** Every compiled module under dist/, except the bundle itself. */
function modules(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return path === dirname(out) ? [] : modules(path);
    return e.name.endsWith('.js') ? [path] : [];
  });
}

// tsc writes the specifier as the source has it; a type-only import is gone by then.
const SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])inversify\2/g;
let importers = 0;
for (const file of modules(dist)) {
  const text = readFileSync(file, 'utf8');
  if (!text.includes('inversify')) continue;
  const target = relative(dirname(file), out);
  const next = text.replace(SPECIFIER, (_m, keyword: string, quote: string) => `${keyword}${quote}${target.startsWith('.') ? target : `./${target}`}${quote}`);
  if (next !== text) writeFileSync(file, next);
  if (next.includes('vendor/inversify.js')) importers++;
}
// None at all means the compiled code is not where this expects it (or no longer uses inversify).
if (importers === 0) {
  process.stderr.write('scripts/vendor.ts: no compiled module under dist/ imports inversify: run it after tsc\n');
  process.exit(1);
}
