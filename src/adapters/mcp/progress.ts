import type { ServerContext } from '@modelcontextprotocol/server';
import type { Logger } from '../../ports/logger.ts';
import type { QueryProgress } from '../../ports/query-engine.ts';

/** What a tool call hands the use-case: told the engine's progress; `stop` when the call settles. */
export interface ProgressReporter {
  readonly onProgress: (progress: QueryProgress) => void;
  stop(): void;
}

const MB = 1_000_000;

/** One line a person or a model can read: Trino's state, what it processed, its splits. */
export function progressMessage(p: QueryProgress | undefined): string {
  if (!p) return 'waiting for Trino to start the query';
  const bytes = p.processedBytes >= MB ? `${(p.processedBytes / MB).toFixed(1)} MB` : `${p.processedBytes} bytes`;
  return `${p.state}: ${p.processedRows} rows and ${bytes} processed, ${p.completedSplits}/${p.totalSplits} splits done`;
}

/**
 * Sends `notifications/progress` every `intervalMs` while a call runs, when the request
 * carried a progressToken (none otherwise: an unrequested notification is a protocol
 * error). Each one carries Trino's latest progress; clients that reset their request
 * timeout on progress keep waiting for as long as the query runs. `progress` counts the
 * notifications, because the protocol wants it to grow with each one and Trino's numbers
 * may stand still; the numbers themselves are in `message`. Over streamable HTTP the SDK
 * sends them on the request's SSE response stream, over stdio as messages of their own.
 */
export function progressReporter(ctx: ServerContext, intervalMs: number, log: Logger): ProgressReporter | undefined {
  const token = ctx.mcpReq._meta?.progressToken;
  if (token === undefined) return undefined;
  let latest: QueryProgress | undefined;
  let sent = 0;
  const timer = setInterval(() => {
    sent += 1;
    ctx.mcpReq
      .notify({ method: 'notifications/progress', params: { progressToken: token, progress: sent, message: progressMessage(latest) } })
      .catch((err: unknown) => log.warn('could not send a progress notification', { error: (err as Error).message }));
  }, intervalMs);
  // A timer must never keep the process alive on its own (stdio shutdown).
  timer.unref();
  return {
    onProgress: (p) => {
      latest = p;
    },
    stop: () => clearInterval(timer),
  };
}
