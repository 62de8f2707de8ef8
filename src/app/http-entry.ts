import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Container } from 'inversify';
import { Access } from '../domain/access.ts';
import { HmacTokenVerifier, JwksTokenVerifier } from '../adapters/auth/jwt-token-verifier.ts';
import { CachedTokenVerifier } from '../adapters/auth/cached-token-verifier.ts';
import { discoverProvider, type ProviderMetadata } from '../adapters/auth/oidc-discovery.ts';
import { createHttpApp, type HttpAuth } from '../adapters/http/app.ts';
import { listen, shutdown } from '../adapters/http/lifecycle.ts';
import { ProviderMetadataCache } from '../adapters/http/oauth-routes.ts';
import { HttpRateLimits } from '../adapters/http/rate-limit.ts';
import { Inflight } from '../adapters/lifecycle/inflight.ts';
import { TrinoMcpServer } from '../adapters/mcp/trino-mcp-server.ts';
import type { Logger } from '../ports/logger.ts';
import { keysProbe, trinoProbe, type ReadinessProbe } from '../adapters/http/health.ts';
import { TrinoConnection, TrinoQueryEngine } from '../adapters/trino/trino-query-engine.ts';
import type { Config, OAuthConfig } from './config.ts';
import { productVersion } from './container.ts';
import { readinessPrincipal, type Telemetry } from './telemetry.ts';

/** How long /readyz waits for Trino (and for the JWKS) before it answers 503. */
const READINESS_TIMEOUT_MS = 5_000;
import { StartupError } from './startup-error.ts';

export { StartupError } from './startup-error.ts';


/**
 * Sets up token verification. With OIDC the provider's metadata is discovered now
 * (unless OIDC_JWKS_URL names the key set): a verifier that cannot be set up stops the
 * start — the server never runs open.
 */
export async function setupAuth(oauth: OAuthConfig, log: Logger, onJwksFetch?: (result: 'ok' | 'error') => void): Promise<HttpAuth> {
  const rules = { issuer: oauth.issuer, audience: oauth.audiences, clockToleranceSec: oauth.clockToleranceSec };
  if (oauth.provider === 'hmac') {
    if (!oauth.issuer) log.warn('OAuth with HMAC and no OIDC_ISSUER: the iss claim is not checked');
    return { verifier: new CachedTokenVerifier(new HmacTokenVerifier(oauth.secret!, rules)), authorizationServers: oauth.issuer ? [oauth.issuer] : [] };
  }
  const issuer = oauth.issuer!;
  let metadata: ProviderMetadata | undefined;
  if (!oauth.jwksUrl) {
    try {
      metadata = await discoverProvider(issuer);
    } catch (err) {
      throw new StartupError(`OIDC_ISSUER: cannot discover the identity provider: ${(err as Error).message}`);
    }
  }
  const jwksUrl = oauth.jwksUrl ?? metadata?.jwks_uri;
  if (!jwksUrl) throw new StartupError(`OIDC_ISSUER: the provider metadata of ${issuer} has no jwks_uri; set OIDC_JWKS_URL`);
  // The logger drops the URL's query and fragment (a JWKS URL can carry an API key).
  log.info('token verification ready', { provider: oauth.providerName, issuer, jwksUrl, audiences: oauth.audiences });
  const verifier = new JwksTokenVerifier(jwksUrl, rules, { cooldownMs: oauth.jwksCooldownMs, onFetch: onJwksFetch });
  return {
    verifier: new CachedTokenVerifier(verifier),
    authorizationServers: [issuer],
    providerMetadata: new ProviderMetadataCache(issuer, metadata),
    holdsKeys: () => verifier.holdsKeys(),
  };
}

function readPem(path: string, variable: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new StartupError(`${variable}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Starts the HTTP transport; resolves once listening. */
export async function startHttp(
  config: Config,
  container: Container,
  log: Logger,
  auth: HttpAuth | undefined,
  telemetry?: Telemetry,
): Promise<{ server: Server; url: string; stop: () => Promise<void> }> {
  const http = config.http;
  const tls = http.tls ? { cert: readPem(http.tls.certFile, 'HTTPS_CERT_FILE'), key: readPem(http.tls.keyFile, 'HTTPS_KEY_FILE') } : undefined;
  const inflight = container.get(Inflight);
  // The engine as built, not the one the container hands out: probes are no tool calls, so
  // they are not counted or traced as Trino queries of callers.
  const engine = new TrinoQueryEngine(container.get(TrinoConnection), log);
  const probes: Record<string, ReadinessProbe> = { trino: trinoProbe(engine, readinessPrincipal(config), READINESS_TIMEOUT_MS, log) };
  if (auth?.holdsKeys) probes['keys'] = keysProbe(auth.holdsKeys);
  const metrics = telemetry?.metrics;
  const { app } = createHttpApp({
    settings: {
      resourceUrl: http.resourceUrl,
      loopback: http.loopback,
      allowedOrigins: http.allowedOrigins,
      trustProxy: http.trustProxy,
      maxBodyBytes: http.maxBodyBytes,
      maxBatchSize: http.maxBatchSize,
      maxSseStreams: http.maxSseStreams,
      maxSseStreamsPerUser: http.maxSseStreamsPerUser,
      version: productVersion(),
    },
    servers: container.get(TrinoMcpServer),
    access: container.get(Access),
    auth,
    log,
    inflight,
    rateLimits: config.rateLimit ? new HttpRateLimits(config.rateLimit) : undefined,
    observability: {
      health: { version: productVersion(), probes },
      metrics: telemetry?.metricsOnMcpListener ? metrics : undefined,
      onAuthFailure: metrics ? (kind) => metrics.authFailure(kind) : undefined,
    },
  });
  let server: Server;
  try {
    server = await listen(app, {
      host: http.host,
      port: http.port,
      tls,
      timeouts: { headersMs: http.headersTimeoutMs, requestMs: http.requestTimeoutMs, keepAliveMs: http.keepAliveTimeoutMs },
    });
  } catch (err) {
    throw new StartupError(`MCP_PORT: cannot listen on ${http.host}:${http.port}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : http.port;
  const url = `${tls ? 'https' : 'http'}://${http.host.includes(':') ? `[${http.host}]` : http.host}:${port}/mcp`;
  return { server, url, stop: () => shutdown(server, inflight, http.shutdownGraceMs, log) };
}
