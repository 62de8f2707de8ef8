import { McpServer, type CallToolResult, type ServerContext } from '@modelcontextprotocol/server';
import { inject, injectable, optional } from 'inversify';
import { Access } from '../../domain/access.ts';
import type { Principal } from '../../domain/model.ts';
import { Logger } from '../../ports/logger.ts';
import { principalKey, rateLimited, type RateLimiter } from '../../use-cases/rate-limiter.ts';
import { Inflight } from '../lifecycle/inflight.ts';
import { recordToolCall, toolCallRecord } from './call-record.ts';
import { CallObserver, NO_OBSERVER, traceCarrierOf } from './call-observer.ts';
import { toolError } from './errors.ts';
import { confirmWrite, type ConfirmationSettings } from './write-confirmation.ts';
import { registerCatalogFeatures, SERVED_CAPABILITIES } from './features.ts';
import { progressReporter } from './progress.ts';
import { ToolDefinitions } from './tool-definitions.ts';
import { TOOLS, UseCases, type ToolEnv, type ToolSpec } from './tools.ts';

/** Settings the MCP edge needs to describe its tools truthfully. */
export interface McpSettings {
  readonly maxRows: number;
  readonly maxResultBytes: number;
  readonly maxValueBytes: number;
  readonly timeoutMs: number;
  readonly markUntrusted: boolean;
  readonly cursorTtlMs: number;
  /** TRINO_WRITE_CONFIRMATION: whether execute_statement asks the user first. */
  readonly confirmation: ConfirmationSettings;
  /** MCP_PROGRESS_INTERVAL_MS: how often a running call sends progress to a client that asked. */
  readonly progressIntervalMs: number;
  readonly name: string;
  readonly version: string;
}
export const McpSettings = Symbol.for('McpSettings');

/**
 * Who a server instance serves: over stdio the operator, for the whole connection; over
 * HTTP the verified caller of one request. `signal` is an extra cancellation beyond the
 * protocol's own: over stateless HTTP 2025-era clients never send a cancel when they go
 * away, so the HTTP edge aborts it when the response closes early.
 */
export interface Caller {
  /** Who the server is for: what tools/list offers is decided by it. */
  readonly principal: Principal;
  readonly signal?: AbortSignal | undefined;
  /**
   * Over the 2024-11-05 SSE transport one server serves a whole session, but every POST
   * carries a token of its own: a call then runs as the principal of the POST that carried
   * it, never as the one who opened the stream. When set, a call it yields no principal
   * for is refused.
   */
  readonly principalOf?: ((ctx: ServerContext) => Principal | undefined) | undefined;
  /**
   * The rate limit each tool call spends from, over stdio. Over HTTP it is left out: the
   * HTTP edge spends per message before the server runs anything, and answers 429.
   */
  readonly rateLimit?: RateLimiter | undefined;
}

/**
 * Builds MCP servers that expose the use-cases as the tools of the tool table. One
 * instance per connection (stdio) or per request (stateless HTTP); all share the use-cases.
 */
@injectable()
export class TrinoMcpServer {
  private readonly definitions = new ToolDefinitions();

  constructor(
    @inject(McpSettings) private readonly settings: McpSettings,
    @inject(Access) private readonly access: Access,
    @inject(UseCases) private readonly useCases: UseCases,
    @inject(Inflight) private readonly inflight: Inflight,
    @inject(Logger) private readonly log: Logger,
    @inject(CallObserver) @optional() private readonly observer: CallObserver = NO_OBSERVER,
  ) {}

  /** The tools this principal may call: what tools/list shows and what the server registers. */
  toolsFor(principal: Principal): ToolSpec[] {
    return TOOLS.filter((t) => this.access.allows(principal, t.access));
  }

  /** One MCP server for a caller, offering only the tools it may call. */
  create(caller: Caller): McpServer {
    const tools = this.toolsFor(caller.principal);
    const env: ToolEnv = {
      maxRows: this.settings.maxRows,
      maxResultBytes: this.settings.maxResultBytes,
      maxValueBytes: this.settings.maxValueBytes,
      timeoutMs: this.settings.timeoutMs,
      canWrite: tools.some((t) => t.access === 'write'),
      markUntrusted: this.settings.markUntrusted,
      cursorTtlMs: this.settings.cursorTtlMs,
    };
    const server = new McpServer(
      { name: this.settings.name, version: this.settings.version },
      {
        capabilities: SERVED_CAPABILITIES,
        instructions:
          'Explore a Trino cluster: list_catalogs → list_schemas → list_tables → get_table_schema, then execute_query. ' +
          (env.canWrite ? 'Statements that write go through execute_statement.' : 'The server is read-only.'),
      },
    );
    for (const spec of tools) {
      server.registerTool(
        spec.name,
        this.definitions.of(spec, env),
        (args: unknown, ctx: ServerContext) => this.call(spec, args, ctx, caller, env, server),
      );
    }
    registerCatalogFeatures(server, { useCases: this.useCases, log: this.log, run: (ctx, what, work) => this.request(ctx, caller, what, work) });
    giveValidationErrorsACode(server);
    return server;
  }

  /** Runs a request other than a tool call (resources, completions) as its principal, tracked in flight, cancelled with it. */
  private async request<T>(ctx: ServerContext, caller: Caller, what: string, work: (principal: Principal, signal: AbortSignal) => Promise<T>): Promise<T> {
    const principal = caller.principalOf ? caller.principalOf(ctx) : caller.principal;
    if (!principal) throw new Error(`no principal for a ${what} request`);
    const job = this.inflight.track();
    try {
      return await work(principal, AbortSignal.any([ctx.mcpReq.signal, job.controller.signal, ...(caller.signal ? [caller.signal] : [])]));
    } finally {
      job.done();
    }
  }

  /** Runs one tool call, tracked in flight until it settles; records the outcome and maps every failure. */
  private async call(spec: ToolSpec, args: unknown, ctx: ServerContext, caller: Caller, env: ToolEnv, server: McpServer): Promise<CallToolResult> {
    const startedAt = performance.now();
    const principal = caller.principalOf ? caller.principalOf(ctx) : caller.principal;
    if (!principal) {
      const error = new Error(`no principal for a ${spec.name} call`);
      const result = toolError(error, this.log, spec.name);
      recordToolCall(this.log, toolCallRecord({ tool: spec.name, startedAt, result, error }));
      return result;
    }
    const allowed = caller.rateLimit?.take(principalKey(principal.subject));
    if (allowed && !allowed.ok) {
      const result = toolError(rateLimited(allowed.retryAfterMs), this.log, spec.name);
      recordToolCall(this.log, toolCallRecord({ tool: spec.name, user: principal.subject, via: principal.via, startedAt, result }));
      return result;
    }
    if (spec.access === 'write') {
      const instead = await confirmWrite(args as { sql?: unknown }, principal, ctx, server, this.settings.confirmation, this.log);
      if (instead) {
        recordToolCall(this.log, toolCallRecord({ tool: spec.name, user: principal.subject, via: principal.via, startedAt, result: instead }));
        return instead;
      }
    }
    const work = this.inflight.track();
    const signal = AbortSignal.any([ctx.mcpReq.signal, work.controller.signal, ...(caller.signal ? [caller.signal] : [])]);
    const who = { tool: spec.name, user: principal.subject, via: principal.via, startedAt };
    const observed = this.observer.start(spec.name, traceCarrierOf(ctx.mcpReq._meta, ctx.http?.req?.headers));
    const progress = progressReporter(ctx, this.settings.progressIntervalMs, this.log);
    try {
      const { result, queryId, rows } = await observed.run(() => spec.run(this.useCases, args as never, principal, signal, env, progress?.onProgress));
      observed.end({ code: 'ok', queryId, durationMs: performance.now() - startedAt });
      recordToolCall(this.log, toolCallRecord({ ...who, result, queryId, rows }));
      return result;
    } catch (error) {
      const result = toolError(error, this.log, spec.name);
      const structured = result.structuredContent as { code: string; queryId?: string };
      observed.end({ code: structured.code, queryId: structured.queryId, durationMs: performance.now() - startedAt });
      recordToolCall(this.log, toolCallRecord({ ...who, result, error }));
      return result;
    } finally {
      progress?.stop();
      work.done();
    }
  }
}

/**
 * The SDK answers arguments that fail a tool's input schema itself, as a tool error with
 * text only. Clients branch on `structuredContent.code`, so that answer gets
 * INVALID_ARGUMENT too. The SDK offers no hook: its (private) error factory is wrapped,
 * and test/unit/mcp-tools pins the behaviour so an SDK change shows up as a failure.
 */
function giveValidationErrorsACode(server: McpServer): void {
  const internals = server as unknown as { createToolError?: (message: string) => CallToolResult };
  const original = internals.createToolError?.bind(server);
  if (!original) return;
  internals.createToolError = (message: string) => {
    const result = original(message);
    if (!message.startsWith('Input validation error')) return result;
    const text = message.replace(/^Input validation error: /, '');
    return {
      ...result,
      content: [{ type: 'text', text: `INVALID_ARGUMENT: ${text}\nCorrect the arguments and call again.` }],
      structuredContent: { code: 'INVALID_ARGUMENT', message: text },
    };
  };
}
