import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Container } from 'inversify';
import { HmacTokenVerifier, JwksTokenVerifier } from '../adapters/auth/jwt-token-verifier.ts';
import { discoverProvider, type ProviderMetadata } from '../adapters/auth/oidc-discovery.ts';
import { createHttpApp, InflightRequests, listen, shutdown, type HttpAuth } from '../adapters/http/http-server.ts';
import { TrinoMcpServer } from '../adapters/mcp/trino-mcp-server.ts';
import type { Logger } from '../ports/logger.ts';
import type { TokenVerifier } from '../ports/token-verifier.ts';
import type { Config, OAuthConfig } from './config.ts';
import { productVersion } from './container.ts';

/** A start-up failure the operator must fix; main prints it as one line and exits 2. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

const METADATA_TTL_MS = 60 * 60 * 1000;
const METADATA_RETRY_MS = 30 * 1000;

/**
 * Sets up token verification. With OIDC the provider's metadata is discovered now
 * (unless OIDC_JWKS_URL names the key set): a verifier that cannot be set up stops the
 * start — the server never runs open.
 */
export async function setupAuth(oauth: OAuthConfig, log: Logger): Promise<{ verifier: TokenVerifier; auth: Omit<HttpAuth, 'verifier'> }> {
  const rules = { issuer: oauth.issuer, audience: oauth.audiences, clockToleranceSec: oauth.clockToleranceSec };
  const common = {
    requiredScopes: oauth.requiredScopes,
    writeScope: oauth.writeScope,
    scopesSupported: [...new Set([...oauth.requiredScopes, ...(oauth.writeScope ? [oauth.writeScope] : [])])],
  };
  if (oauth.provider === 'hmac') {
    if (!oauth.issuer) log.warn('OAuth with HMAC and no OIDC_ISSUER: the iss claim is not checked');
    return {
      verifier: new HmacTokenVerifier(oauth.secret!, rules),
      auth: { ...common, authorizationServers: oauth.issuer ? [oauth.issuer] : [], providerMetadata: async () => undefined },
    };
  }
  const issuer = oauth.issuer!;
  let metadata: ProviderMetadata | undefined;
  let fetchedAt = 0;
  if (!oauth.jwksUrl) {
    try {
      metadata = await discoverProvider(issuer);
      fetchedAt = Date.now();
    } catch (err) {
      throw new StartupError(`OIDC_ISSUER: cannot discover the identity provider: ${(err as Error).message}`);
    }
  }
  const jwksUrl = oauth.jwksUrl ?? metadata?.jwks_uri;
  if (!jwksUrl) throw new StartupError(`OIDC_ISSUER: the provider metadata of ${issuer} has no jwks_uri; set OIDC_JWKS_URL`);
  log.info('token verification ready', { provider: oauth.providerName, issuer, jwksUrl, audiences: oauth.audiences });
  let failedAt = 0;
  const providerMetadata = async () => {
    const stale = !metadata || Date.now() - fetchedAt > METADATA_TTL_MS;
    // After a failure, wait a little before asking the provider again: a provider that
    // drops traffic must not make every metadata request wait for a timeout.
    if (stale && Date.now() - failedAt > METADATA_RETRY_MS) {
      try {
        metadata = await discoverProvider(issuer, 3_000);
        fetchedAt = Date.now();
      } catch (err) {
        failedAt = Date.now();
        // Serve the stale copy rather than nothing while the provider is away.
        if (!metadata) throw err;
      }
    }
    if (!metadata) throw new Error('identity provider metadata unavailable');
    return metadata;
  };
  return {
    verifier: new JwksTokenVerifier(jwksUrl, rules),
    auth: { ...common, authorizationServers: [issuer], providerMetadata },
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
  verifier: TokenVerifier | undefined,
  auth: Omit<HttpAuth, 'verifier'> | undefined,
): Promise<{ server: Server; url: string; stop: () => Promise<void> }> {
  const http = config.http;
  const tls = http.tls ? { cert: readPem(http.tls.certFile, 'HTTPS_CERT_FILE'), key: readPem(http.tls.keyFile, 'HTTPS_KEY_FILE') } : undefined;
  const inflight = new InflightRequests();
  const { app } = createHttpApp({
    settings: {
      resourceUrl: http.resourceUrl,
      loopback: http.loopback,
      allowedOrigins: http.allowedOrigins,
      trustProxy: http.trustProxy,
      maxBodyBytes: http.maxBodyBytes,
      version: productVersion(),
      writesEnabled: config.allowWriteQueries,
    },
    servers: container.get(TrinoMcpServer),
    auth: verifier && auth ? { ...auth, verifier } : undefined,
    log,
    inflight,
  });
  let server: Server;
  try {
    server = await listen(app, { host: http.host, port: http.port, tls });
  } catch (err) {
    throw new StartupError(`MCP_PORT: cannot listen on ${http.host}:${http.port}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : http.port;
  const url = `${tls ? 'https' : 'http'}://${http.host.includes(':') ? `[${http.host}]` : http.host}:${port}/mcp`;
  return { server, url, stop: () => shutdown(server, inflight, http.shutdownGraceMs, log) };
}
