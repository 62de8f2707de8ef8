import type { CallToolResult } from '@modelcontextprotocol/server';
import { isDomainError, type ErrorCode } from '../../domain/errors.ts';
import type { Row } from '../../domain/model.ts';
import type { Logger } from '../../ports/logger.ts';
import { weighedRowsJsonBytes } from '../../use-cases/call.ts';

/**
 * What one tool call came to: the audit line's fields, built once where the handler's result
 * or error is known (TrinoMcpServer.call), and the record every observer of tool calls reads.
 */
export interface ToolCallRecord {
  readonly tool: string;
  /** The principal's subject; absent when the call had none (it was refused). */
  readonly user?: string | undefined;
  readonly via?: string | undefined;
  /** Trino's query id, when the call reached Trino. */
  readonly queryId?: string | undefined;
  readonly durationMs: number;
  /** Rows returned, for tools that return rows. */
  readonly rows?: number | undefined;
  /** UTF-8 bytes of the tool result: each text as text, structuredContent as JSON. */
  readonly bytes: number;
  /** `ok`, or the error code the client received. */
  readonly outcome: 'ok' | ErrorCode;
  /** Trino's error name, when Trino refused the query. */
  readonly errorName?: string | undefined;
}

export interface CallFacts {
  readonly tool: string;
  readonly user?: string | undefined;
  readonly via?: string | undefined;
  readonly startedAt: number;
  readonly result: CallToolResult;
  readonly queryId?: string | undefined;
  readonly rows?: number | undefined;
  /** The failure, when the call failed (the result is then its tool error). */
  readonly error?: unknown;
}

/** The record of a settled call; `now` is performance.now() unless a test injects it. */
export function toolCallRecord(facts: CallFacts, now: number = performance.now()): ToolCallRecord {
  const structured = facts.result.structuredContent as { code?: ErrorCode; queryId?: string } | undefined;
  const failed = facts.result.isError === true;
  const err = facts.error;
  return {
    tool: facts.tool,
    user: facts.user,
    via: facts.via,
    queryId: facts.queryId ?? structured?.queryId,
    durationMs: Math.round(now - facts.startedAt),
    rows: failed ? undefined : facts.rows,
    bytes: resultBytes(facts.result),
    outcome: failed ? (structured?.code ?? 'INTERNAL') : 'ok',
    ...(isDomainError(err) && err.details.errorName ? { errorName: String(err.details.errorName) } : {}),
  };
}

/**
 * UTF-8 bytes of what the client receives: each text as text, structuredContent as JSON.
 * Not the JSON of the whole result: escaping a large text again only to count it cost as
 * much as the rest of the record.
 */
function resultBytes(result: CallToolResult): number {
  let bytes = result.structuredContent === undefined ? 0 : structuredBytes(result.structuredContent);
  for (const part of result.content ?? []) {
    bytes += part.type === 'text' ? Buffer.byteLength(part.text, 'utf8') : Buffer.byteLength(JSON.stringify(part), 'utf8');
  }
  return bytes;
}

/** structuredContent as JSON; rows a read already weighed count by that weight instead of serialising them again. */
function structuredBytes(structured: object | null): number {
  const rows = (structured as { rows?: unknown } | null)?.rows;
  const weighed = Array.isArray(rows) ? weighedRowsJsonBytes(rows as Row[]) : undefined;
  if (weighed === undefined) return Buffer.byteLength(JSON.stringify(structured), 'utf8');
  // `0` holds the rows' place (one byte) and keeps the key order of what is sent.
  return Buffer.byteLength(JSON.stringify({ ...structured, rows: 0 }), 'utf8') - 1 + weighed;
}

/** The one audit line per tool call. Observers of tool calls (metrics, traces) hook in here too. */
export function recordToolCall(log: Logger, record: ToolCallRecord): void {
  log.info('tool call', { audit: 'tool_call', ...record });
}
