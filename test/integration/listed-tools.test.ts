/**
 * tools/list over stateless HTTP answered from the SDK's earlier answer (ListedTools): the
 * same bytes as the SDK's own answer but for the id, a recording per set of tools (a caller
 * without the write scope never gets the writer's list, whoever asked first), and every
 * request the recording does not fit still answered by the SDK. Trino is a closed port:
 * tools/list never reaches it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { edgeOnlyEnv, hmacToken, startHttpServer, stopAllHttpServers, type HttpServerHandle } from '../support/http-server.ts';
import { connectHttp, GENERATIONS } from '../support/mcp-clients.ts';

const SECRET = 'listed-tools-test-secret-of-32-bytes-at-least';
const VERSION = '2025-06-18';

afterAll(stopAllHttpServers);

let server: HttpServerHandle;
let reader: string;
let writer: string;

const token = (sub: string, scope: string) => hmacToken(SECRET, server.url, sub, scope);

async function post(bearer: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(server.url, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${bearer}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': VERSION,
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

/** The one JSON-RPC message of an answer, SSE-framed or not. */
function messageOf(text: string): { id: unknown; result?: { tools: Array<{ name: string }> }; error?: unknown } {
  const data = text.startsWith('{') || text.startsWith('[') ? text : text.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5)).at(-1)!;
  return JSON.parse(data);
}

const names = (text: string) => messageOf(text).result!.tools.map((t) => t.name);
const list = (id: unknown) => ({ jsonrpc: '2.0', id, method: 'tools/list', params: {} });

beforeAll(async () => {
  server = await startHttpServer({ ...(await edgeOnlyEnv(SECRET)), TRINO_ALLOW_WRITE_QUERIES: 'true', OAUTH_WRITE_SCOPE: 'trino:write' });
  reader = await token('reader', '');
  writer = await token('writer', 'trino:write');
});

describe('tools/list answered from the recording', () => {
  it('answers again with the same bytes as the first answer, each with its own id', async () => {
    const first = await post(reader, list(1));
    const later = [await post(reader, list('two')), await post(reader, list(3)), await post(reader, list(-0.5))];
    expect(first.status).toBe(200);
    for (const [answer, id] of later.map((a, i) => [a, ['two', 3, -0.5][i]] as const)) {
      expect(answer.status).toBe(200);
      expect(answer.type).toBe(first.type);
      expect(messageOf(answer.text).id).toBe(id);
      // Equal but for the id (a boolean: a failed comparison of 26 KB answers would flood the report).
      expect(answer.text.replace(`"id":${JSON.stringify(id)}}`, '"id":1}') === first.text).toBe(true);
    }
  });

  it('keeps one recording per set of tools: the reader never gets execute_statement, the writer always does', async () => {
    const readerFirst = names((await post(reader, list(10))).text);
    const writerAnswers = [await post(writer, list(11)), await post(writer, list(12))];
    const readerAfter = names((await post(reader, list(13))).text);
    expect(readerFirst).not.toContain('execute_statement');
    expect(readerAfter).toEqual(readerFirst);
    for (const a of writerAnswers) expect(names(a.text)).toContain('execute_statement');
    expect(names(writerAnswers[1]!.text)).toEqual(names(writerAnswers[0]!.text));
    expect(names(writerAnswers[0]!.text).filter((n) => n !== 'execute_statement')).toEqual(readerFirst);
  });

  it.each(GENERATIONS)('%s: the client lists the tools the raw answer names', async (generation) => {
    const expected = names((await post(reader, list(20))).text);
    const client = await connectHttp(generation, server.url, { headers: { authorization: `Bearer ${reader}` } });
    try {
      expect((await client.listTools()).map((t) => t.name)).toEqual(expected);
      expect((await client.listTools()).map((t) => t.name)).toEqual(expected);
    } finally {
      await client.close();
    }
  });
});

describe('requests the recording does not fit still reach the SDK', () => {
  it('a batch holding a tools/list is answered as a batch', async () => {
    await post(reader, list(30));
    const answer = await post(reader, [list(31)]);
    expect(answer.status).toBe(200);
    const message = messageOf(answer.text) as unknown;
    const batch = Array.isArray(message) ? message : [message];
    expect((batch[0] as { id: unknown }).id).toBe(31);
  });

  it('a protocol version the SDK refuses is refused every time, not recorded', async () => {
    for (const id of [40, 41]) {
      const answer = await post(reader, list(id), { 'mcp-protocol-version': '1999-01-01' });
      expect(answer.status).toBe(400);
    }
  });

  it('a missing Accept media type is 406 every time, after a recording exists', async () => {
    await post(reader, list(50));
    for (const id of [51, 52]) expect((await post(reader, list(id), { accept: 'application/json' })).status).toBe(406);
  });

  it('without a valid token there is no answer at all: 401', async () => {
    await post(reader, list(60));
    expect((await post(`${reader}x`, list(61))).status).toBe(401);
  });
});
