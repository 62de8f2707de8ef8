import { createGunzip, createInflate } from 'node:zlib';
import type { Transform } from 'node:stream';
import type { Agent, Dispatcher } from 'undici';

/** TLS settings of the connections to Trino, under node:tls option names. */
export interface TrinoTlsOptions {
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer> | undefined;
  readonly cert?: string | Buffer | undefined;
  readonly key?: string | Buffer | undefined;
  readonly passphrase?: string | undefined;
  readonly servername?: string | undefined;
  readonly rejectUnauthorized: boolean;
}

/** How the connections to Trino are pooled and whether responses come compressed. */
export interface TrinoHttpOptions {
  /** Keep-alive connections per origin; requests beyond it wait for one to come free. */
  readonly connections: number;
  /** Ask Trino to gzip its answers (TRINO_HTTP_COMPRESSION): costs CPU on both ends, saves bandwidth. */
  readonly compression: boolean;
  readonly tls?: TrinoTlsOptions | undefined;
}

/** One answer of Trino, read whole up to a bound. `text` is undefined when the body was larger than the bound. */
export interface TrinoAnswer {
  readonly status: number;
  readonly text: string | undefined;
  /** The response's Retry-After, in seconds, when it had one. */
  readonly retryAfter?: number | undefined;
}

/**
 * Keep-alive HTTP to Trino on undici: a bounded pool of connections reused across queries.
 * It replaced trino-client (axios), whose per-request overhead, gzip on loopback and JSON
 * reviver on every value made up most of the server's CPU per call (see bench/trino.mjs).
 */
export class TrinoHttp {
  private agent: Promise<Agent> | undefined;

  constructor(private readonly options: TrinoHttpOptions) {}

  /** undici is loaded with the first query: a stdio server answers `initialize` without it. */
  private pool(): Promise<Agent> {
    this.agent ??= import('undici').then(({ Agent }) => this.createAgent(Agent));
    return this.agent;
  }

  private createAgent(AgentClass: typeof Agent): Agent {
    const options = this.options;
    const tls = options.tls;
    return new AgentClass({
      connections: options.connections,
      pipelining: 1,
      // Trino's Jetty closes idle connections after 30 s by default: give them back before that.
      keepAliveTimeout: 20_000,
      keepAliveMaxTimeout: 25_000,
      ...(tls
        ? {
            connect: {
              rejectUnauthorized: tls.rejectUnauthorized,
              ...(tls.ca !== undefined ? { ca: tls.ca as string | Buffer | Array<string | Buffer> } : {}),
              ...(tls.cert !== undefined ? { cert: tls.cert } : {}),
              ...(tls.key !== undefined ? { key: tls.key } : {}),
              ...(tls.passphrase !== undefined ? { passphrase: tls.passphrase } : {}),
              ...(tls.servername !== undefined ? { servername: tls.servername } : {}),
            },
          }
        : {}),
    });
  }

  /**
   * Sends one request and reads the answer as text, at most `maxBytes` of it (after
   * decompression): a larger body is dropped unread and `text` is undefined, so a page
   * of any size costs at most the bound in memory.
   */
  async request(
    method: 'GET' | 'POST' | 'DELETE',
    url: URL,
    headers: Record<string, string>,
    options: { body?: string; signal?: AbortSignal; maxBytes: number },
  ): Promise<TrinoAnswer> {
    const agent = await this.pool();
    const res = await agent.request({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method,
      headers: { ...headers, 'accept-encoding': this.options.compression ? 'gzip, deflate' : 'identity' },
      ...(options.body !== undefined ? { body: options.body } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const text = await readText(res, options.maxBytes);
    const retryAfter = Number(res.headers['retry-after']);
    return { status: res.statusCode, text, ...(Number.isFinite(retryAfter) ? { retryAfter } : {}) };
  }

  /** Closes the idle connections; requests in flight are aborted. */
  async close(): Promise<void> {
    if (this.agent) await (await this.agent).destroy();
  }
}

/** The body as text, or undefined (and the body destroyed) past `maxBytes`. */
async function readText(res: Dispatcher.ResponseData, maxBytes: number): Promise<string | undefined> {
  const encoding = String(res.headers['content-encoding'] ?? '').toLowerCase();
  const declared = Number(res.headers['content-length']);
  if (!encoding && Number.isFinite(declared) && declared > maxBytes) {
    res.body.destroy();
    return undefined;
  }
  let source: AsyncIterable<Buffer> = res.body;
  let decoder: Transform | undefined;
  if (encoding === 'gzip' || encoding === 'deflate') {
    decoder = encoding === 'gzip' ? createGunzip() : createInflate();
    res.body.on('error', (err) => decoder?.destroy(err));
    source = res.body.pipe(decoder);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of source) {
      size += chunk.length;
      if (size > maxBytes) {
        res.body.destroy();
        decoder?.destroy();
        return undefined;
      }
      chunks.push(chunk);
    }
  } catch (err) {
    res.body.destroy();
    throw err;
  }
  return chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, size).toString('utf8');
}

/** Resolves with `promise`, or rejects as soon as `signal` aborts (the promise keeps running). */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      promise.catch(() => undefined);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
