/**
 * The Claude Desktop bundle and the registry entry. `npm run bundle` packs the .mcpb; it is
 * unpacked and started as Claude Desktop starts it (its mcp_config, ${__dirname} and
 * ${user_config.*} substituted), over stdio against the real Trino, with both client
 * generations: the packed files are complete and the fields reach the server.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { envSchema } from '../../src/app/env-schema.ts';
import { TOOLS } from '../../src/adapters/mcp/tools.ts';
import { connectStdioCommand, GENERATIONS } from '../support/mcp-clients.ts';
import { trinoUrl } from '../support/trino-sql.ts';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; engines: { node: string } };
const VARIABLES = new Set(Object.keys(envSchema.shape));

interface UserConfigField {
  type: string;
  required?: boolean;
  sensitive?: boolean;
  default?: string | number | boolean;
}
interface Manifest {
  name: string;
  version: string;
  server: { entry_point: string; mcp_config: { command: string; args: string[]; env: Record<string, string> } };
  user_config: Record<string, UserConfigField>;
  tools: Array<{ name: string }>;
  compatibility: { runtimes: { node: string } };
}

let unpacked: string;
let manifest: Manifest;
beforeAll(async () => {
  // `npm run bundle` is the build and then this script; npm test has built dist/ already.
  await run(process.execPath, ['scripts/bundle.ts'], { cwd: ROOT, timeout: 600_000, maxBuffer: 64 * 1024 * 1024 });
  unpacked = mkdtempSync(join(tmpdir(), 'mcpb-'));
  await run(join(ROOT, 'node_modules/.bin/mcpb'), ['unpack', join(ROOT, `trino-mcp-${pkg.version}.mcpb`), unpacked]);
  manifest = JSON.parse(readFileSync(join(unpacked, 'manifest.json'), 'utf8')) as Manifest;
}, 900_000);

/** mcp_config as Claude Desktop resolves it for these user settings (defaults for the rest). */
function resolved(settings: Record<string, string>): { command: string; args: string[]; env: Record<string, string> } {
  const value = (key: string) => settings[key] ?? String(manifest.user_config[key]?.default ?? '');
  const subst = (s: string) => s.replaceAll('${__dirname}', unpacked).replace(/\$\{user_config\.([a-z_]+)\}/g, (_m, key: string) => value(key));
  const { command, args, env } = manifest.server.mcp_config;
  return { command, args: args.map(subst), env: { PATH: process.env['PATH'] ?? '', ...Object.fromEntries(Object.entries(env).map(([k, v]) => [k, subst(v)])) } };
}

describe('the MCP bundle', () => {
  it('passes mcpb validate, and carries the version, Node requirement and tools of the package', async () => {
    await run(join(ROOT, 'node_modules/.bin/mcpb'), ['validate', join(unpacked, 'manifest.json')]);
    expect(manifest.version).toBe(pkg.version);
    expect(manifest.compatibility.runtimes.node).toBe(pkg.engines.node);
    expect(manifest.tools.map((t) => t.name).sort()).toEqual(TOOLS.map((t) => t.name).sort());
  });

  it('offers TRINO_* fields, every one a variable the server reads; the password is sensitive', () => {
    const env = manifest.server.mcp_config.env;
    for (const name of Object.keys(env)) expect(VARIABLES.has(name), `${name} is a server variable`).toBe(true);
    const fields = Object.entries(env).flatMap(([, v]) => [...v.matchAll(/\$\{user_config\.([a-z_]+)\}/g)].map((m) => m[1]!));
    expect(fields.sort()).toEqual(Object.keys(manifest.user_config).sort());
    for (const name of Object.keys(env).filter((n) => n !== 'MCP_TRANSPORT')) expect(name).toMatch(/^TRINO_/);
    expect(env['TRINO_PASSWORD']).toBe('${user_config.trino_password}');
    expect(manifest.user_config['trino_password']).toMatchObject({ sensitive: true, required: false });
    for (const [key, field] of Object.entries(manifest.user_config)) {
      if (key !== 'trino_password') expect(field.sensitive, key).toBeFalsy();
    }
  });

  it.each(GENERATIONS)('%s: the unpacked bundle, started as Claude Desktop starts it, queries Trino', async (generation) => {
    const url = new URL(trinoUrl());
    const { command, args, env } = resolved({ trino_host: url.hostname, trino_port: url.port, trino_scheme: 'http', trino_user: 'bundle-user', trino_catalog: 'tpch', trino_schema: 'tiny' });
    expect(command).toBe('node');
    const session = await connectStdioCommand(generation, { command: process.execPath, args, env });
    try {
      expect((await session.listTools()).map((t) => t.name)).toContain('execute_query');
      const result = await session.callTool('execute_query', { sql: 'SELECT count(*) AS n FROM nation' });
      expect(result.structuredContent).toMatchObject({ rows: [[25]] });
    } finally {
      await session.close();
    }
  }, 120_000);
});

describe('server.json (the MCP registry entry)', () => {
  const server = JSON.parse(readFileSync(join(ROOT, 'server.json'), 'utf8')) as {
    $schema: string;
    name: string;
    description: string;
    version: string;
    packages: Array<{ registryType: string; identifier: string; version: string; transport: { type: string }; environmentVariables: Array<{ name: string; isSecret?: boolean; isRequired?: boolean }> }>;
  };

  // The rules of the registry's published schema (2025-09-29) that this entry can break.
  it('follows the registry schema: reverse-DNS name, description of at most 100 characters, exact versions', () => {
    expect(server.$schema).toBe('https://static.modelcontextprotocol.io/schemas/2025-09-29/server.schema.json');
    expect(server.name).toMatch(/^[a-zA-Z0-9.-]+\/[a-zA-Z0-9._-]+$/);
    expect(server.description.length).toBeGreaterThan(0);
    expect(server.description.length).toBeLessThanOrEqual(100);
    expect(server.version).toBe(pkg.version);
    const [npm] = server.packages;
    expect(npm).toMatchObject({ registryType: 'npm', identifier: pkg.name, version: pkg.version, transport: { type: 'stdio' } });
    expect(npm!.version).toMatch(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/);
  });

  it('names only variables the server reads; the password is secret', () => {
    const vars = server.packages[0]!.environmentVariables;
    for (const v of vars) expect(VARIABLES.has(v.name), v.name).toBe(true);
    expect(vars.find((v) => v.name === 'TRINO_PASSWORD')).toMatchObject({ isSecret: true });
    expect(vars.filter((v) => v.isSecret).map((v) => v.name)).toEqual(['TRINO_PASSWORD']);
  });
});
