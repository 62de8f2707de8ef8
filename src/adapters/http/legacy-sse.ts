import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { AuthInfo, JSONRPCMessage, Transport } from '@modelcontextprotocol/server';

const KEEPALIVE_MS = 15_000;

/**
 * The 2024-11-05 HTTP+SSE transport (GET /sse opens an event stream whose first event
 * names a POST endpoint; responses travel back over the stream), for clients such as
 * `mcp-remote --transport sse-only`.
 *
 * Hand-written because the v2 SDK no longer ships this transport, and the v1 SDK's
 * would pull a second SDK and express into production for ~60 lines of protocol.
 */
export class LegacySseTransport implements Transport {
  readonly sessionId = randomUUID();
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: (<T extends JSONRPCMessage>(message: T, extra?: { authInfo?: AuthInfo }) => void) | undefined;
  private keepalive: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly endpoint: string,
  ) {}

  async start(): Promise<void> {
    this.res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache, no-store, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    this.res.write(`event: endpoint\ndata: ${this.endpoint}?sessionId=${this.sessionId}\n\n`);
    this.keepalive = setInterval(() => this.res.write(': keepalive\n\n'), KEEPALIVE_MS);
    this.keepalive.unref();
    this.res.on('close', () => void this.close());
  }

  /** A message the client POSTed to the endpoint. */
  receive(message: JSONRPCMessage, authInfo?: AuthInfo): void {
    this.onmessage?.(message, authInfo ? { authInfo } : undefined);
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.closed) throw new Error('SSE stream closed');
    this.res.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepalive);
    if (!this.res.writableEnded) this.res.end();
    this.onclose?.();
  }
}
