import { serveStdio, type StdioServerHandle } from '@modelcontextprotocol/server/stdio';
import type { Principal } from '../../domain/model.ts';
import type { Logger } from '../../ports/logger.ts';
import type { RateLimiter } from '../../use-cases/rate-limiter.ts';
import type { TrinoMcpServer } from '../mcp/trino-mcp-server.ts';

/**
 * Serves MCP over this process's stdin/stdout for both protocol eras. Over stdio the
 * operator who launched the process is the only caller.
 */
export function serveOverStdio(servers: TrinoMcpServer, principal: Principal, log: Logger, rateLimit?: RateLimiter): StdioServerHandle {
  return serveStdio(() => servers.create({ principal, rateLimit }), {
    onerror: (err) => log.warn('stdio transport error', { error: err.message }),
  });
}
