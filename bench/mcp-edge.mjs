// The MCP edge under a hostile `sql` argument: the built server over HTTP (no Trino needed:
// each statement hides a write, refused by the policy), called by a real client with
// statements as large as MCP_MAX_BODY_BYTES lets through. Each row is the round trip a
// client sees: JSON-RPC parsing, the tool's input schema, classification, the answer.
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { freePort, SERVER_BIN, spawnListening } from './trino-peers.mjs';

/** MCP_MAX_BODY_BYTES by default; the envelope around `sql` gets the rest. */
const MAX_BODY_BYTES = 1024 * 1024;
const ENVELOPE_BYTES = 4 * 1024;

/** `unit` repeated between `prefix` and `suffix`, as often as one request body holds. */
function fill(prefix, unit, suffix) {
  const room = MAX_BODY_BYTES - ENVELOPE_BYTES - Buffer.byteLength(JSON.stringify(prefix + suffix));
  const perUnit = Buffer.byteLength(JSON.stringify(unit)) - 2;
  return prefix + unit.repeat(Math.floor(room / perUnit)) + suffix;
}

const WRITE = 'DELETE FROM tpch.tiny.nation';
const SHAPES = [
  ['-- comment lines ending in \\n, then a DELETE', fill('', '-- a comment line\n', WRITE)],
  ['-- comment lines ending in \\r only, then a DELETE', fill('', '-- a comment line\r', WRITE)],
  ['EXPLAIN chain over a DELETE', fill('', 'EXPLAIN ', WRITE)],
  ['open parentheses before a DELETE', fill('', '(', WRITE)],
  ['a DELETE with a WHERE of symbols', fill(`${WRITE} WHERE 1`, '+-*/%<>=', '')],
  ['a DELETE with a WHERE of TABLE( calls', fill(`${WRITE} WHERE x IN `, 'TABLE(a.b.f(', '')],
];

async function startServer() {
  const port = await freePort();
  // A Trino nobody answers: every call here is refused before the engine.
  const env = { PATH: process.env.PATH ?? '', MCP_TRANSPORT: 'http', MCP_PORT: String(port), TRINO_HOST: '127.0.0.1', TRINO_PORT: '9', TRINO_USER: 'bench' };
  const child = await spawnListening(SERVER_BIN, env, 20_000);
  return { url: `http://127.0.0.1:${port}/mcp`, stop: () => new Promise((resolve) => (child.once('exit', resolve), child.kill('SIGKILL'))) };
}

/** Median round trip per shape, each answer checked to be the policy's refusal of a write. */
export async function mcpEdge({ runs = 9 } = {}) {
  const server = await startServer();
  const client = new Client({ name: 'bench', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  const rows = [];
  try {
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
    for (const [name, sql] of SHAPES) {
      const times = [];
      for (let i = 0; i < runs + 1; i++) {
        const t = performance.now();
        const r = await client.callTool({ name: 'execute_query', arguments: { sql } }, { timeout: 600_000 });
        if (i > 0) times.push(performance.now() - t); // the first run warms the server up
        const s = r.structuredContent;
        if (s?.code !== 'POLICY_DENIED' || s?.rule !== 'READ_ONLY') throw new Error(`${name}: expected a READ_ONLY refusal, got ${JSON.stringify(s).slice(0, 300)}`);
      }
      times.sort((a, b) => a - b);
      rows.push({ name, kib: Buffer.byteLength(JSON.stringify(sql)) / 1024, median: times[times.length >> 1], p95: times[Math.floor(times.length * 0.95)] });
    }
  } finally {
    await client.close().catch(() => undefined);
    await server.stop();
  }
  return rows;
}
