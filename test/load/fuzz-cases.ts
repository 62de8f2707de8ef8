/**
 * Hostile HTTP requests for the fuzz run, drawn from a seeded PRNG: each kind is one row
 * of FUZZ_KINDS (name, weight, a builder). A request is raw: method, path, headers and the
 * body bytes, so that anything a client library would refuse to send can be sent.
 */
import type { Rng } from './prng.ts';

export interface FuzzRequest {
  readonly kind: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: Buffer;
}

export interface FuzzContext {
  /** A valid bearer token for the server under test. */
  readonly token: string;
  readonly maxBodyBytes: number;
}

const PROTOCOL_VERSIONS = ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25', '2026-07-28'] as const;
const METHODS = ['initialize', 'tools/list', 'tools/call', 'ping', 'notifications/initialized', 'notifications/cancelled', 'resources/list', 'prompts/get', 'completion/complete', 'logging/setLevel'] as const;
const TOOLS = ['list_catalogs', 'list_schemas', 'list_tables', 'get_table_schema', 'execute_query', 'explain_query', 'execute_statement', 'search_tables', 'fetch_more', 'no_such_tool'] as const;
const ODD_STRINGS = ['', ' ', '\u0000', '\ud800', '\udfff', '\u202e', '\ufeff', '🦆'.repeat(50), 'a'.repeat(5000), '"; DROP TABLE x; --', '../../etc/passwd', '%00', '\\u0000', 'tpch.tiny.nation', '"tpch"."tiny"."nation"', 'x.y.z.w'] as const;

const rpc = (id: unknown, method: string, params?: unknown) => ({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) });

function validToolCall(rnd: Rng): Record<string, unknown> {
  const tool = rnd.pick(['list_catalogs', 'list_schemas', 'list_tables', 'get_table_schema', 'execute_query', 'explain_query'] as const);
  const args: Record<string, Record<string, unknown>> = {
    list_catalogs: {},
    list_schemas: { catalog: 'tpch' },
    list_tables: { catalog: 'tpch', schema: 'tiny' },
    get_table_schema: { table: 'tpch.tiny.nation' },
    execute_query: { sql: 'SELECT 1', limit: 1 },
    explain_query: { sql: 'SELECT 1' },
  };
  return rpc(1 + rnd.int(1000), 'tools/call', { name: tool, arguments: args[tool] });
}

function randomValue(rnd: Rng, depth = 0): unknown {
  switch (rnd.int(depth > 3 ? 6 : 8)) {
    case 0:
      return null;
    case 1:
      return rnd.chance(0.5);
    case 2:
      return rnd.pick([0, -1, 1.5, 1e308, -0, 2 ** 53 + 1, Number.MAX_SAFE_INTEGER]);
    case 3:
    case 4:
      return rnd.pick(ODD_STRINGS);
    case 5:
      return rnd.pick(TOOLS);
    case 6:
      return Array.from({ length: rnd.int(4) }, () => randomValue(rnd, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: rnd.int(4) }, () => [rnd.pick(['sql', 'name', 'arguments', 'table', 'limit', 'type', 'catalog', '__proto__', 'constructor', 'x']), randomValue(rnd, depth + 1)]));
  }
}

/** Flips, inserts or deletes a few bytes. */
function mutateBytes(rnd: Rng, input: Buffer, edits = 1 + rnd.int(4)): Buffer {
  let out = Buffer.from(input);
  for (let i = 0; i < edits; i++) {
    const at = rnd.int(out.length + 1);
    const op = rnd.int(3);
    if (op === 0 && out.length > 0) out[Math.min(at, out.length - 1)] = rnd.int(256);
    else if (op === 1) out = Buffer.concat([out.subarray(0, at), Buffer.from([rnd.int(256)]), out.subarray(at)]);
    else out = Buffer.concat([out.subarray(0, at), out.subarray(at + 1)]);
  }
  return out;
}

/** Changes one character of a token to another base64url character (or a stray one). */
function mutateToken(rnd: Rng, token: string): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=';
  const at = rnd.int(token.length);
  const mutated = `${token.slice(0, at)}${rnd.pick([...chars])}${token.slice(at + 1)}`;
  return rnd.chance(0.1) ? mutated.slice(0, rnd.int(mutated.length)) : mutated;
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

type Builder = (rnd: Rng, ctx: FuzzContext) => Omit<FuzzRequest, 'kind'>;

function post(ctx: FuzzContext, body: Buffer, headers: Record<string, string> = {}, path = '/mcp'): Omit<FuzzRequest, 'kind'> {
  return {
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${ctx.token}`, ...headers },
    body,
  };
}

/** Every kind of hostile request, with its weight. */
export const FUZZ_KINDS: ReadonlyArray<{ readonly kind: string; readonly weight: number; readonly build: Builder }> = [
  {
    kind: 'oversized body',
    weight: 1,
    build: (rnd, ctx) => post(ctx, Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"execute_query","arguments":{"sql":"'), Buffer.alloc(ctx.maxBodyBytes + 1 + rnd.int(1024), 0x61), Buffer.from('"}}}')])),
  },
  {
    kind: 'truncated body',
    weight: 6,
    build: (rnd, ctx) => {
      const full = json(validToolCall(rnd));
      return post(ctx, full.subarray(0, rnd.int(full.length)));
    },
  },
  {
    kind: 'deep nesting',
    weight: 3,
    build: (rnd, ctx) => {
      const depth = rnd.pick([100, 1_000, 10_000, 100_000, 400_000]);
      const [open, close] = rnd.chance(0.5) ? ['[', ']'] : ['{"a":', '}'];
      const nested = `${open.repeat(depth)}1${close.repeat(depth)}`;
      const body = rnd.chance(0.5) ? nested : `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"execute_query","arguments":{"sql":${nested}}}}`;
      return post(ctx, Buffer.from(body.slice(0, ctx.maxBodyBytes)));
    },
  },
  {
    kind: 'invalid UTF-8',
    weight: 6,
    build: (rnd, ctx) => {
      const bad = Buffer.from(rnd.pick([[0xc3, 0x28], [0xff], [0xed, 0xa0, 0x80], [0xf0, 0x28, 0x8c, 0x28], [0xc0, 0xaf], [0xe2, 0x82]]));
      const before = Buffer.from('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"execute_query","arguments":{"sql":"SELECT \'');
      return post(ctx, Buffer.concat([before, bad, Buffer.from('\'"}}}')]));
    },
  },
  {
    kind: 'huge header',
    weight: 2,
    build: (rnd, ctx) => post(ctx, json(rpc(1, 'tools/list')), { [rnd.pick(['x-filler', 'mcp-session-id', 'mcp-protocol-version', 'cookie'])]: 'h'.repeat(rnd.pick([8_000, 20_000, 70_000])) }),
  },
  {
    kind: 'JSON-RPC batch',
    weight: 6,
    build: (rnd, ctx) =>
      post(
        ctx,
        json(
          Array.from({ length: rnd.pick([0, 1, 2, 5, 20, 21, 100]) }, () =>
            rnd.chance(0.3) ? randomValue(rnd) : rnd.chance(0.5) ? rpc(rnd.int(10), rnd.pick(['tools/list', 'ping', 'initialize'])) : rpc(rnd.int(10), rnd.pick(METHODS), randomValue(rnd)),
          ),
        ),
      ),
  },
  {
    kind: 'wrong Content-Type or Accept',
    weight: 6,
    build: (rnd, ctx) =>
      post(ctx, json(rpc(1, 'tools/list')), {
        'content-type': rnd.pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', '', 'application/jsonx', '*/*']),
        accept: rnd.pick(['text/html', 'application/json', 'text/event-stream', '', '*/*', 'application/xml;q=0.9']),
      }),
  },
  {
    kind: 'unknown method',
    weight: 6,
    build: (rnd, ctx) =>
      rnd.chance(0.3)
        ? { ...post(ctx, json(rpc(1, 'tools/list'))), method: rnd.pick(['PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'GET']) }
        : post(ctx, json(rpc(1, rnd.pick([...METHODS, 'tools/cal', '__proto__', 'constructor', 'rpc.discover', '', 'x'.repeat(500)]), randomValue(rnd)))),
  },
  {
    kind: 'wrong protocol-version header',
    weight: 6,
    build: (rnd, ctx) =>
      post(ctx, json(rnd.chance(0.5) ? validToolCall(rnd) : rpc(1, 'tools/list')), {
        'mcp-protocol-version': rnd.pick([...PROTOCOL_VERSIONS, '1999-01-01', '2026-13-45', 'latest', '', '2025-06-18, 2025-03-26', '\u00e9']),
      }),
  },
  {
    kind: 'initialize with odd protocol versions',
    weight: 3,
    build: (rnd, ctx) => post(ctx, json(rpc(1, 'initialize', { protocolVersion: randomValue(rnd), capabilities: randomValue(rnd), clientInfo: randomValue(rnd) }))),
  },
  { kind: 'mutated valid tool call', weight: 30, build: (rnd, ctx) => post(ctx, mutateBytes(rnd, json(validToolCall(rnd)))) },
  {
    kind: 'tool call with random arguments',
    weight: 8,
    build: (rnd, ctx) => post(ctx, json(rpc(1, 'tools/call', { name: rnd.pick(TOOLS), arguments: randomValue(rnd) }))),
  },
  {
    kind: 'mutated token',
    weight: 15,
    build: (rnd, ctx) => ({ ...post(ctx, json(rpc(1, 'tools/list'))), headers: { ...post(ctx, Buffer.alloc(0)).headers, authorization: `Bearer ${mutateToken(rnd, ctx.token)}` } }),
  },
  {
    kind: 'other paths',
    weight: 2,
    build: (rnd, ctx) => ({
      ...post(ctx, mutateBytes(rnd, json(rpc(1, 'tools/list')))),
      method: rnd.pick(['GET', 'POST']),
      path: rnd.pick(['/sse', '/messages', '/messages?sessionId=nope', '/status', '/.well-known/oauth-protected-resource', '/mcp?access_token=x', '/%2e%2e/', '/mcp/../mcp']),
    }),
  },
];

/** Picks a kind by weight and builds its request. */
export function fuzzRequest(rnd: Rng, ctx: FuzzContext): FuzzRequest {
  const total = FUZZ_KINDS.reduce((n, k) => n + k.weight, 0);
  let x = rnd.next() * total;
  for (const k of FUZZ_KINDS) {
    x -= k.weight;
    if (x < 0) return { kind: k.kind, ...k.build(rnd, ctx) };
  }
  const last = FUZZ_KINDS.at(-1)!;
  return { kind: last.kind, ...last.build(rnd, ctx) };
}
