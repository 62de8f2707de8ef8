/**
 * `npm run bundle`: the Claude Desktop bundle (MCPB). Stages the built server with its
 * production dependencies and bundle/manifest.json, validates the manifest and packs
 * trino-mcp-<version>.mcpb at the repository root, with @anthropic-ai/mcpb.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
const manifest = JSON.parse(readFileSync(join(root, 'bundle/manifest.json'), 'utf8')) as Record<string, unknown>;
if (manifest['version'] !== pkg.version) {
  process.stderr.write(`bundle/manifest.json has version ${String(manifest['version'])}, package.json ${pkg.version}: make them equal\n`);
  process.exit(1);
}
const mcpb = join(root, 'node_modules/.bin/mcpb');
const out = join(root, `trino-mcp-${pkg.version}.mcpb`);
const stage = mkdtempSync(join(tmpdir(), 'trino-mcp-bundle-'));
try {
  delete manifest['$schema']; // a path into this repository's node_modules, meaningless inside the bundle
  writeFileSync(join(stage, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  for (const f of ['package.json', 'package-lock.json', 'LICENSE', 'dist']) {
    try {
      cpSync(join(root, f), join(stage, f), { recursive: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || f === 'dist' || f === 'package.json') throw err;
    }
  }
  // Production dependencies only, exactly as locked; no install scripts run.
  execFileSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: stage, stdio: 'inherit' });
  execFileSync(mcpb, ['validate', join(stage, 'manifest.json')], { stdio: 'inherit' });
  rmSync(out, { force: true });
  execFileSync(mcpb, ['pack', stage, out], { stdio: 'inherit' });
  process.stdout.write(`${out}\n`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
