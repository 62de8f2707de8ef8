import type { Config } from './config.ts';

export interface StartupWarning {
  readonly message: string;
  readonly fields?: Record<string, unknown>;
}

/** What the operator should know before the first request: settings that weaken a guarantee. */
export function startupWarnings(config: Config): StartupWarning[] {
  const warnings: StartupWarning[] = [];
  if (config.allowWriteQueries) warnings.push({ message: 'TRINO_ALLOW_WRITE_QUERIES=true: statements that write data or change state will be run' });
  if (!config.trino.verifyCertificates) warnings.push({ message: 'TRINO_SSL_INSECURE=true: the Trino server certificate is not verified' });
  if (config.trino.password !== undefined && config.trino.scheme === 'http') {
    // Basic authentication is the password itself, base64-encoded, on every request.
    warnings.push({
      message: 'TRINO_PASSWORD is sent to Trino over plain HTTP: anyone on the network path can read it; set TRINO_SCHEME=https',
      fields: { server: config.trino.server, user: config.trino.user },
    });
  }
  if (config.transport === 'http' && config.results.cursorSecret === undefined) {
    // Nothing tells one replica that others exist: the operator is told once, at start.
    warnings.push({
      message:
        'MCP_CURSOR_SECRET is not set: result cursors (fetch_more) work only on this process; behind a load balancer with several replicas, set the same MCP_CURSOR_SECRET on each',
    });
  }
  return warnings;
}
