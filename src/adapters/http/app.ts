import Router from '@koa/router';
import Koa, { type Context, type Next } from 'koa';
import type { Access } from '../../domain/access.ts';
import type { Principal } from '../../domain/model.ts';
import type { Logger } from '../../ports/logger.ts';
import type { TokenVerifier } from '../../ports/token-verifier.ts';
import type { Inflight } from '../lifecycle/inflight.ts';
import type { TrinoMcpServer } from '../mcp/trino-mcp-server.ts';
import type { MetricsSource } from '../metrics/metrics-endpoint.ts';
import { metricsRoute } from '../metrics/metrics-endpoint.ts';
import { bearerAuth, type AuthFailure } from './bearer-auth.ts';
import { healthRoutes, type HealthSettings } from './health.ts';
import { corsForAllowedOrigins, errorBoundary, hostAndOriginGuard, securityHeaders, trackInflight, type GuardSettings } from './guards.ts';
import { legacySseRoutes, type SseLimits } from './legacy-sse.ts';
import { metadataPathFor, oauthRoutes, type ProviderMetadataCache } from './oauth-routes.ts';
import type { HttpRateLimits } from './rate-limit.ts';
import { rpcGate } from './rpc-gate.ts';
import { streamableEndpoint } from './streamable.ts';

export interface HttpSettings extends GuardSettings, SseLimits {
  readonly maxBodyBytes: number;
  /** MCP_MAX_BATCH_SIZE: JSON-RPC messages in one request body. */
  readonly maxBatchSize: number;
  readonly version: string;
}

/** OAuth as a resource server: who verifies tokens, and what the metadata names. */
export interface HttpAuth {
  readonly verifier: TokenVerifier;
  /** Issuer(s) listed as authorization_servers in the resource metadata. */
  readonly authorizationServers: readonly string[];
  /** The provider's own metadata, proxied for 2025-03-26 clients (undefined: 404). */
  readonly providerMetadata?: ProviderMetadataCache | undefined;
  /** Whether the verifier holds signing keys (readiness); unset: always (a shared secret). */
  readonly holdsKeys?: (() => Promise<boolean>) | undefined;
}

/** Health, metrics, and the count of refused authentications. */
export interface HttpObservability {
  readonly health?: HealthSettings | undefined;
  /** Served at /metrics on this listener when set. */
  readonly metrics?: MetricsSource | undefined;
  readonly onAuthFailure?: ((kind: AuthFailure['kind']) => void) | undefined;
}

const CONNECTION_ERRORS = new Set(['ERR_HTTP_REQUEST_TIMEOUT', 'ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);

const ANONYMOUS: Principal = { subject: 'anonymous', scopes: [], via: 'http' };

/**
 * The Koa application: guards, then streamable HTTP at /mcp (both protocol eras,
 * stateless), the same at POST /sse, the 2024-11-05 SSE transport at GET /sse + POST
 * /messages, RFC 9728 metadata, the provider's metadata proxied, and /status. No body
 * parser sits in front of the MCP routes: the SDK answers malformed JSON (-32700), a
 * wrong Content-Type (415) and an oversized body (413) itself. One gate (rpcGate) checks
 * every body of /mcp, POST /sse and /messages before any of its messages runs: batch size
 * and the scopes of the token of that very request.
 */
export function createHttpApp(deps: {
  settings: HttpSettings;
  servers: TrinoMcpServer;
  access: Access;
  auth?: HttpAuth | undefined;
  log: Logger;
  inflight: Inflight;
  /** RATE_LIMIT_*: undefined when off. */
  rateLimits?: HttpRateLimits | undefined;
  observability?: HttpObservability | undefined;
}) {
  const { settings, servers, access, auth, log, inflight, rateLimits } = deps;
  const observability = deps.observability ?? {};
  const app = new Koa({ proxy: settings.trustProxy });
  // What reaches Koa past errorBoundary are mostly errors of the connection itself (a
  // request timeout, a reset): the client's doing, logged as JSON rather than printed with
  // a stack by Koa's default handler. Anything else is a fault here.
  app.on('error', (err: NodeJS.ErrnoException, ctx?: Context) => {
    const fields = { path: ctx?.path, error: err.code ?? err.message };
    if (err.code && CONNECTION_ERRORS.has(err.code)) log.info('http connection error', fields);
    else log.error('http response failed', fields);
  });
  app.use(errorBoundary(log));
  app.use(securityHeaders(settings.resourceUrl));
  app.use(hostAndOriginGuard(settings));
  app.use(corsForAllowedOrigins());
  app.use(trackInflight(inflight));

  const router = new Router();
  healthRoutes(router, observability.health ?? { version: settings.version, probes: {} });
  if (observability.metrics) metricsRoute(router, observability.metrics);
  if (auth) oauthRoutes(router, { resourceUrl: settings.resourceUrl, ...auth }, access, log);

  const origin = (ctx: Context) => (settings.trustProxy ? ctx.origin : new URL(settings.resourceUrl).origin);
  const resourceMetadataUrl = (ctx: Context) =>
    ctx.path === '/sse' || ctx.path === '/messages'
      ? `${origin(ctx)}/.well-known/oauth-protected-resource/sse`
      : `${origin(ctx)}${metadataPathFor(settings.resourceUrl)}`;
  const verify = auth
    ? bearerAuth({ verifier: auth.verifier, requiredScopes: access.scopesFor('read'), resourceMetadataUrl, log, onFailure: observability.onAuthFailure })
    : async (ctx: Context, next: Next) => {
        ctx.state['principal'] = ANONYMOUS;
        await next();
      };
  const authenticate = rateLimits && auth ? rateLimits.guardAuthentication(verify) : verify;

  const spend = rateLimits ? (ctx: Context, cost: number) => rateLimits.spend(ctx, cost) : undefined;
  const gate = rpcGate({ access, oauth: Boolean(auth), maxBatchSize: settings.maxBatchSize, resourceMetadataUrl, log, spend, onFailure: observability.onAuthFailure });
  const streamable = streamableEndpoint({ servers, gate, settings: { maxBodyBytes: settings.maxBodyBytes }, log });
  router.all('/mcp', authenticate, streamable);
  router.post('/sse', authenticate, streamable);
  const sessions = legacySseRoutes(router, {
    servers,
    authenticate,
    streamable,
    gate,
    maxBodyBytes: settings.maxBodyBytes,
    limits: { maxSseStreams: settings.maxSseStreams, maxSseStreamsPerUser: settings.maxSseStreamsPerUser },
  });

  app.use(router.routes());
  app.use(router.allowedMethods());
  return { app, sessions };
}
