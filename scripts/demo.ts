/**
 * `npm run demo`: makes sure a Trino is reachable (starting a local one when none is
 * configured), drives the built server over stdio with a real MCP client, and prints how
 * to connect Claude Desktop, Claude Code and the MCP Inspector to it.
 */
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort, upPersistent } from '../test/harness/trino-server.ts';

const bin = fileURLToPath(new URL('../dist/app/main.js', import.meta.url));
const out = (s = '') => process.stdout.write(`${s}\n`);

async function trinoEnv(): Promise<Record<string, string>> {
  if (process.env['TRINO_HOST']) {
    const keep = Object.entries(process.env).filter(([k, v]) => k.startsWith('TRINO_') && v !== undefined);
    return Object.fromEntries(keep) as Record<string, string>;
  }
  const url = new URL(process.env['TRINO_URL'] ?? (await upPersistent()).url);
  return {
    TRINO_HOST: url.hostname,
    TRINO_PORT: url.port || (url.protocol === 'https:' ? '443' : '80'),
    TRINO_SCHEME: url.protocol.replace(':', ''),
    TRINO_CATALOG: 'tpch',
    TRINO_SCHEMA: 'tiny',
  };
}

function text(result: unknown): string {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content ?? [];
  return content.map((c) => c.text ?? '').join('\n');
}

async function main(): Promise<void> {
  const env = await trinoEnv();
  out(`Trino: ${env['TRINO_SCHEME'] ?? 'https'}://${env['TRINO_HOST']}:${env['TRINO_PORT'] ?? '8080'}`);
  const client = new Client({ name: 'trino-mcp-demo', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
  await client.connect(
    new StdioClientTransport({ command: process.execPath, args: [bin], env: { PATH: process.env['PATH'] ?? '', ...env }, stderr: 'ignore' }),
  );
  out(`Connected over stdio (protocol ${client.getNegotiatedProtocolVersion()}). Tools: ${(await client.listTools()).tools.map((t) => t.name).join(', ')}`);
  out('\n$ list_catalogs');
  out(text(await client.callTool({ name: 'list_catalogs', arguments: {} })));
  const sql = 'SELECT n.name AS nation, r.name AS region FROM tpch.tiny.nation n JOIN tpch.tiny.region r ON n.regionkey = r.regionkey ORDER BY 1';
  out(`\n$ execute_query ${JSON.stringify({ sql, limit: 5 })}`);
  out(text(await client.callTool({ name: 'execute_query', arguments: { sql, limit: 5 } })));
  out('\n$ execute_query {"sql":"DROP TABLE memory.default.anything"}');
  out(text(await client.callTool({ name: 'execute_query', arguments: { sql: 'DROP TABLE memory.default.anything' } })));
  await client.close();

  const envJson = JSON.stringify(env, null, 2).replace(/\n/g, '\n      ');
  out(`
The server works. Connect a client to it (it is started by the client over stdio):

Claude Desktop (claude_desktop_config.json → "mcpServers"):
  "trino": {
    "command": "${process.execPath}",
    "args": ["${bin}"],
    "env": ${envJson}
  }

Claude Code:
  claude mcp add trino ${Object.entries(env).map(([k, v]) => `-e ${k}=${v}`).join(' ')} -- ${process.execPath} ${bin}

MCP Inspector (web UI):
  ${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')} npx @modelcontextprotocol/inspector ${process.execPath} ${bin}

The local Trino keeps running for these; stop it with: npm run trino:down`);

  if (!process.stdout.isTTY) {
    out('\n(Not a terminal: not serving HTTP. Run `npm run demo` in a terminal to serve http://127.0.0.1:<port>/mcp.)');
    return;
  }
  // Serve the remote transport too, on loopback without OAuth, until Ctrl-C.
  const port = process.env['MCP_PORT'] ?? String(await freePort());
  const url = `http://127.0.0.1:${port}/mcp`;
  out(`
Serving MCP over streamable HTTP at ${url} (loopback only, no OAuth) — Ctrl-C stops it.
  claude mcp add --transport http trino ${url}
  npx mcp-remote ${url}
  npx @modelcontextprotocol/inspector   (then connect to ${url})`);
  const child = spawn(process.execPath, [bin], {
    env: { ...process.env, ...env, MCP_TRANSPORT: 'http', MCP_HOST: '127.0.0.1', MCP_PORT: port },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  process.once('SIGINT', () => child.kill('SIGTERM'));
  await new Promise((resolve) => child.once('exit', resolve));
}

main().catch((err: unknown) => {
  process.stderr.write(`demo: ${(err as Error).message}\n`);
  process.exit(1);
});
