import { createHash } from 'node:crypto';
import {
  acceptedContent,
  CLIENT_CAPABILITIES_META_KEY,
  inputRequired,
  inputResponse,
  type CallToolResult,
  type ClientCapabilities,
  type McpServer,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { openJwe, sealJwe } from '../cursor/jwe.ts';
import { z } from 'zod';
import { DomainError } from '../../domain/errors.ts';
import { userKey, type Principal } from '../../domain/model.ts';
import { parseStatement } from '../../domain/statement.ts';
import type { Logger } from '../../ports/logger.ts';
import { toolError } from './errors.ts';

/** TRINO_WRITE_CONFIRMATION, and the key that seals what the server asked about. */
export interface ConfirmationSettings {
  readonly mode: 'elicit' | 'none';
  /** 32 bytes (AES-256-GCM): derived from MCP_CURSOR_SECRET like the cursors' key, under another context. */
  readonly stateKey: Uint8Array;
}

const KEY = 'confirm_write';
const answerSchema = z.object({ confirm: z.boolean() });
/** How long the user has to answer: a question asked longer ago no longer counts. */
const STATE_TTL_MS = 10 * 60 * 1000;

/** What the user is asked to confirm: the statement, its kind and the tables it writes. */
function describe(sql: string): { text: string; kind: string; tables: string[] } {
  const s = parseStatement(sql);
  const target = s.shape.kind === 'write' || s.shape.kind === 'create-table-as' ? [s.shape.target.join('.')] : [];
  return { text: s.text, kind: s.keywords, tables: target };
}

function digest(principal: Principal, sql: string): string {
  return createHash('sha256').update(userKey(principal)).update('\0').update(sql).digest('base64url');
}

/** The client can answer an elicitation on this request: per request on 2026-07-28, from initialize on 2025 revisions. */
function canElicit(server: McpServer, ctx: ServerContext): boolean {
  const perRequest = ctx.mcpReq.envelope?.[CLIENT_CAPABILITIES_META_KEY as keyof typeof ctx.mcpReq.envelope] as ClientCapabilities | undefined;
  const caps = perRequest ?? server.server.getClientCapabilities();
  return caps?.elicitation !== undefined;
}

function refused(message: string, log: Logger): CallToolResult {
  return toolError(new DomainError('NOT_CONFIRMED', message), log, 'execute_statement');
}

/**
 * Asks the user before execute_statement runs, through elicitation: on the 2026-07-28
 * revision the tool returns input_required and the client retries with the answer (a
 * fresh request, so it works on stateless HTTP, on any replica with the same secret); on
 * 2025 revisions the SDK turns that same result into an elicitation/create request on
 * the open call (which needs a connection that can carry server-to-client requests:
 * stdio, or the legacy SSE session). The retry carries a sealed `requestState` naming
 * the caller and the statement, so an answer counts only for the statement that was
 * shown, and only for the caller who was asked.
 *
 * Returns undefined when the statement may run, else the answer to give instead.
 */
export async function confirmWrite(
  args: { sql?: unknown },
  principal: Principal,
  ctx: ServerContext,
  server: McpServer,
  settings: ConfirmationSettings,
  log: Logger,
): Promise<CallToolResult | undefined> {
  if (settings.mode === 'none' || typeof args.sql !== 'string') return undefined;
  let shown: ReturnType<typeof describe>;
  try {
    shown = describe(args.sql);
  } catch {
    return undefined; // the use-case refuses it with its own code; nothing to ask about
  }
  const expected = digest(principal, shown.text);
  const answer = inputResponse(ctx.mcpReq.inputResponses, KEY);
  if (answer.kind !== 'missing') {
    if (!(await stateMatches(ctx.mcpReq.requestState(), expected, settings.stateKey))) {
      return refused('The confirmation does not belong to this statement or caller (or it is older than 10 minutes); nothing was run. Call again to be asked anew.', log);
    }
    const content = acceptedContent(ctx.mcpReq.inputResponses, KEY, answerSchema);
    if (content?.confirm === true) return undefined;
    return refused('The user did not confirm the statement (declined or cancelled); nothing was run.', log);
  }
  if (!canElicit(server, ctx)) {
    return refused(
      'This server asks the user to confirm every statement that writes (TRINO_WRITE_CONFIRMATION=elicit), and this client ' +
        'cannot be asked: it declares no elicitation capability, or its connection (2025-era stateless HTTP) cannot carry ' +
        'the question. Nothing was run; the operator may set TRINO_WRITE_CONFIRMATION=none.',
      log,
    );
  }
  const tables = shown.tables.length > 0 ? shown.tables.join(', ') : 'none named (see the statement)';
  return inputRequired({
    inputRequests: {
      [KEY]: inputRequired.elicit({
        message: `Run this ${shown.kind} statement on Trino? It writes: ${tables}.\n\n${shown.text}`,
        requestedSchema: {
          type: 'object',
          properties: { confirm: { type: 'boolean', title: 'Run the statement', description: `${shown.kind} — writes ${tables}` } },
          required: ['confirm'],
        },
      }),
    },
    requestState: await sealState(expected, settings.stateKey),
  }) as unknown as CallToolResult;
}

async function sealState(digestOf: string, key: Uint8Array): Promise<string> {
  const payload = JSON.stringify({ d: digestOf, e: Date.now() + STATE_TTL_MS });
  return sealJwe(payload, key);
}

async function stateMatches(state: unknown, expected: string, key: Uint8Array): Promise<boolean> {
  if (typeof state !== 'string' || state.length > 4096) return false;
  try {
    const plaintext = await openJwe(state, key);
    const p = JSON.parse(new TextDecoder().decode(plaintext)) as { d?: unknown; e?: unknown };
    return p.d === expected && typeof p.e === 'number' && Date.now() < p.e;
  } catch {
    return false;
  }
}
