import type { Context } from 'koa';
import type { RpcMessage } from './rpc-gate.ts';

/**
 * What the SDK answered to one tools/list, ready to send again: the body split around the
 * request id, and the headers that describe it.
 */
interface Recorded {
  /** Encoded once: each answer then writes these two buffers as they are, with its id between. */
  readonly before: Buffer;
  readonly after: Buffer;
  readonly headers: ReadonlyArray<readonly [string, string]>;
}

/** The id the recorded request carries: nothing a client sends can be it (it holds a NUL). */
const PLACEHOLDER = '\u0000trino-mcp tools/list';
const PLACEHOLDER_JSON = JSON.stringify(PLACEHOLDER);

/**
 * The protocol revisions whose stateless tools/list is one request and one answer with no
 * per-request state. Any other (a later revision carries its client's details in every
 * request) goes to the SDK every time.
 */
const REPLAYABLE_VERSIONS = new Set(['', '2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25']);

/** Kinds of answer at most: one per set of tools a caller may see and revision; a bound for the map. */
const MAX_RECORDED = 64;

/**
 * Authenticated tools/list over stateless HTTP, answered from what the SDK answered before.
 *
 * A stateless server builds an MCP server for every request (per caller: it offers only the
 * tools that caller may call), and for tools/list that construction, the SDK's handler and
 * its Web Request/Response adapters were nearly all of the request's CPU (bench/trino.mjs:
 * about 2 ms, 450 requests/s on two cores), while the answer only depends on the set of tools
 * and the protocol revision. The first such request for a set and a revision is answered by
 * the SDK as usual and its answer recorded (`record`); later ones get the same bytes with
 * their own id. Only plain requests are replayed: one message (no batch), `params` absent or
 * `{}`, no session, JSON in and both media types accepted (what the SDK would answer 200 to);
 * everything else, including a refusal the SDK would make, still reaches the SDK.
 * Hand-written: the SDK offers no cache of its answers.
 */
export class ListedTools {
  private readonly recorded = new Map<string, Promise<Recorded | undefined>>();

  /** The key of a request that may be replayed, or undefined when the SDK must see it. */
  keyOf(ctx: Context, raw: Buffer, messages: readonly RpcMessage[], tools: readonly string[]): string | undefined {
    if (messages.length !== 1) return undefined;
    const [m] = messages;
    if (m!.method !== 'tools/list' || !(typeof m!.id === 'string' || typeof m!.id === 'number')) return undefined;
    if (m!.params !== undefined && !(isPlainObject(m!.params) && Object.keys(m!.params).length === 0)) return undefined;
    if (startsWithBracket(raw)) return undefined;
    if (ctx.get('Mcp-Session-Id') || ctx.get('Last-Event-ID')) return undefined;
    if (!/^application\/json\s*(;|$)/i.test(ctx.get('Content-Type'))) return undefined;
    const accept = ctx.get('Accept');
    if (!/application\/json/i.test(accept) || !/text\/event-stream/i.test(accept)) return undefined;
    const version = ctx.get('Mcp-Protocol-Version');
    if (!REPLAYABLE_VERSIONS.has(version)) return undefined;
    return `${version}\u0000${tools.join(',')}`;
  }

  /**
   * Answers from the recording for `key`, or returns false when there is none (yet): the
   * caller then lets the SDK answer and, with `record`, keeps a recording for the next ones.
   */
  async replay(ctx: Context, key: string, id: string | number): Promise<boolean> {
    const recording = await this.recorded.get(key);
    if (!recording) return false;
    ctx.respond = false;
    const res = ctx.res;
    const idBytes = Buffer.from(JSON.stringify(id), 'utf8');
    res.statusCode = 200;
    for (const [name, value] of recording.headers) res.setHeader(name, value);
    res.setHeader('Content-Length', recording.before.length + idBytes.length + recording.after.length);
    res.cork();
    res.write(recording.before);
    res.write(idBytes);
    res.end(recording.after);
    return true;
  }

  /**
   * Records the SDK's answer for `key` by asking it once, through `ask`, a tools/list with the
   * placeholder id and the request's own headers. An answer that is not a plain 200 with the
   * placeholder in it once is not kept: those requests keep going to the SDK.
   */
  record(key: string, ask: (body: string) => Promise<Response>): void {
    if (this.recorded.has(key) || this.recorded.size >= MAX_RECORDED) return;
    const body = JSON.stringify({ jsonrpc: '2.0', id: PLACEHOLDER, method: 'tools/list' });
    const recording = ask(body).then(
      async (response): Promise<Recorded | undefined> => {
        const text = await response.text();
        const at = text.indexOf(PLACEHOLDER_JSON);
        if (response.status !== 200 || at < 0 || text.indexOf(PLACEHOLDER_JSON, at + 1) >= 0 || !text.includes('"result"')) return undefined;
        const headers = [...response.headers].filter(([name]) => KEPT_HEADERS.has(name.toLowerCase()));
        return { before: Buffer.from(text.slice(0, at), 'utf8'), after: Buffer.from(text.slice(at + PLACEHOLDER_JSON.length), 'utf8'), headers };
      },
      () => undefined,
    );
    this.recorded.set(key, recording);
    // A failed recording is dropped, so that a later request may try again.
    void recording.then((r) => {
      if (!r && this.recorded.get(key) === recording) this.recorded.delete(key);
    });
  }
}

/** The headers of the SDK's answer that describe its body (the edge's own headers are already set). */
const KEPT_HEADERS = new Set(['content-type', 'cache-control', 'x-accel-buffering']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether a body is a JSON array (a batch): its first character past whitespace is `[`. */
function startsWithBracket(raw: Buffer): boolean {
  for (const byte of raw) {
    if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) continue;
    return byte === 0x5b;
  }
  return false;
}
