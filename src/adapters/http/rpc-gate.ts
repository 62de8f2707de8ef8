import type { Context } from 'koa';
import type { Access } from '../../domain/access.ts';
import type { Logger } from '../../ports/logger.ts';
import { toolNamed } from '../mcp/tools.ts';
import { answer, principalOf } from './bearer-auth.ts';

export interface RpcMessage {
  readonly method?: unknown;
  readonly id?: unknown;
  readonly params?: unknown;
}

/** What a request body holds: its JSON-RPC messages, and how many top-level entries it had. */
export type RpcBody =
  | { readonly json: true; readonly messages: readonly RpcMessage[]; readonly count: number; readonly batch: boolean }
  | { readonly json: false };

/** Reads the JSON-RPC messages of a body (one message or a batch); objects only, `count` counts every entry. */
export function rpcBody(body: Buffer | string): RpcBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch {
    return { json: false };
  }
  const batch = Array.isArray(parsed);
  const list: unknown[] = batch ? (parsed as unknown[]) : [parsed];
  const messages = list.filter((m): m is RpcMessage => typeof m === 'object' && m !== null && !Array.isArray(m));
  return { json: true, messages, count: list.length, batch };
}

export const paramsOf = (m: RpcMessage) => (typeof m.params === 'object' && m.params !== null ? (m.params as Record<string, unknown>) : {});

/** A JSON-RPC error answered over HTTP (id null: it answers the body, not one of its messages). */
export function refuseRpc(ctx: Context, status: number, code: number, message: string): void {
  ctx.status = status;
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { jsonrpc: '2.0', id: null, error: { code, message } };
}

/** JSON-RPC "Invalid Request", as the SDK answers a batch over its own (fixed) cap. */
const INVALID_REQUEST = -32600;
const PARSE_ERROR = -32700;

export interface RpcGateSettings {
  readonly access: Access;
  /** Whether OAuth is on: only then can a token lack a tool's scopes. */
  readonly oauth: boolean;
  /** MCP_MAX_BATCH_SIZE. */
  readonly maxBatchSize: number;
  readonly resourceMetadataUrl: (ctx: Context) => string;
  /** Where the audit line of a refusal goes (as bearer-auth writes it). */
  readonly log?: Logger | undefined;
  /** Spends `cost` of the caller's rate limit, or answers 429 and returns false (HttpRateLimits.spend). */
  readonly spend?: ((ctx: Context, cost: number) => boolean) | undefined;
  /** Told of every scope refusal (metrics). */
  readonly onFailure?: ((kind: 'insufficient_scope') => void) | undefined;
}

/**
 * What the HTTP edge checks in a body before any of its messages runs, the same at /mcp,
 * POST /sse and /messages: the batch size (a body of more than MCP_MAX_BATCH_SIZE
 * messages is refused whole, 400 Invalid Request, so none of them starts a query), and
 * the rate limit of the caller (one token per message; 429 when spent), and
 * the scope gate (the first tools/call beyond the token of *this* request gets the 403
 * scope challenge that lets the client ask for more). Returns the messages, or undefined
 * once it has answered the request.
 *
 * `strict` is for /messages, which has no SDK behind it to answer a body that is not
 * JSON-RPC: such a body is refused here. Without it, that body passes with no messages,
 * and the SDK answers it (-32700, or its own Invalid Request).
 */
export function rpcGate(settings: RpcGateSettings) {
  const { access, maxBatchSize } = settings;

  const beyondScopes = (ctx: Context, messages: readonly RpcMessage[]): boolean => {
    if (!settings.oauth) return false;
    const principal = principalOf(ctx);
    for (const m of messages) {
      if (m.method !== 'tools/call') continue;
      const spec = toolNamed(paramsOf(m)['name']);
      // A tool the server does not offer at all is the SDK's to answer (unknown tool).
      if (!spec || !access.offered(spec.access) || access.allows(principal, spec.access)) continue;
      const scopes = access.scopesFor(spec.access);
      settings.onFailure?.('insufficient_scope');
      const description = `${spec.name} needs the scope(s) ${scopes.join(' ')}.`;
      settings.log?.info('authentication refused', { audit: 'auth_refused', reason: 'insufficient_scope', description, tool: spec.name, path: ctx.path });
      answer(ctx, { kind: 'insufficient_scope', scopes, description }, scopes, settings.resourceMetadataUrl(ctx));
      return true;
    }
    return false;
  };

  return (ctx: Context, raw: Buffer, options: { strict: boolean }): readonly RpcMessage[] | undefined => {
    const body = rpcBody(raw);
    // One token per message: a batch is as many calls as it holds.
    if (settings.spend && !settings.spend(ctx, body.json ? Math.max(1, Math.min(body.count, maxBatchSize)) : 1)) return undefined;
    if (!body.json) {
      if (!options.strict) return [];
      refuseRpc(ctx, 400, PARSE_ERROR, 'Parse error: the body is not JSON.');
      return undefined;
    }
    if (body.count > maxBatchSize) {
      refuseRpc(ctx, 400, INVALID_REQUEST, `Invalid Request: a batch may hold at most ${maxBatchSize} messages (MCP_MAX_BATCH_SIZE); this one holds ${body.count}.`);
      return undefined;
    }
    if (options.strict && (body.count === 0 || body.messages.length !== body.count)) {
      refuseRpc(ctx, 400, INVALID_REQUEST, body.count === 0 ? 'Invalid Request: an empty batch.' : 'Invalid Request: every message must be a JSON-RPC object.');
      return undefined;
    }
    if (beyondScopes(ctx, body.messages)) return undefined;
    return body.messages;
  };
}

export type RpcGate = ReturnType<typeof rpcGate>;
