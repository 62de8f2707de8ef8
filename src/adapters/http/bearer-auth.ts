import type { Context, Next } from 'koa';
import type { Principal } from '../../domain/model.ts';
import type { Logger } from '../../ports/logger.ts';
import { TokenVerificationError, type TokenVerifier } from '../../ports/token-verifier.ts';

export interface BearerAuthSettings {
  readonly verifier: TokenVerifier;
  /** Scopes every request needs (OAUTH_REQUIRED_SCOPES); empty means any valid token. */
  readonly requiredScopes: readonly string[];
  /** URL of the RFC 9728 metadata for the resource a request addressed. */
  readonly resourceMetadataUrl: (ctx: Context) => string;
  readonly log: Logger;
}

const RETRY_AFTER_SECONDS = 30;

/** A quoted-string for an auth-param (RFC 9110 §5.6.4): backslash-escape `"` and `\`. */
function quoted(value: string): string {
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

function challenge(params: Record<string, string | undefined>): string {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${quoted(v!)}`);
  return `Bearer ${parts.join(', ')}`;
}

/**
 * Answers an authentication failure per RFC 6750 §3 and OAuth 2.1 §5.3: the status, a
 * `WWW-Authenticate: Bearer` challenge naming the resource metadata (RFC 9728 §5.1),
 * `Cache-Control: no-store`, and a small JSON body.
 */
function reject(
  ctx: Context,
  status: 400 | 401 | 403,
  settings: BearerAuthSettings,
  error: 'invalid_request' | 'invalid_token' | 'insufficient_scope' | undefined,
  description: string,
): void {
  const scope = settings.requiredScopes.join(' ') || undefined;
  ctx.status = status;
  ctx.set('Cache-Control', 'no-store');
  ctx.set(
    'WWW-Authenticate',
    challenge({
      ...(error ? { error, error_description: description } : {}),
      ...(scope ? { scope } : {}),
      resource_metadata: settings.resourceMetadataUrl(ctx),
    }),
  );
  ctx.body = error ? { error, error_description: description } : { error: 'unauthorized', error_description: description };
}

/** 503 with Retry-After: the identity provider is down, which is not the caller's fault (not a 401). */
export function providerUnavailable(ctx: Context): void {
  ctx.status = 503;
  ctx.set('Retry-After', String(RETRY_AFTER_SECONDS));
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { error: 'temporarily_unavailable', error_description: 'The identity provider cannot be reached; retry later.' };
}

/**
 * 403 insufficient_scope for a request that authenticated but asks for more than its
 * token grants (MCP 2025-11-25 scope challenge): `scope` lists every scope needed.
 */
export function insufficientScope(ctx: Context, scopes: readonly string[], resourceMetadataUrl: string, description: string): void {
  ctx.status = 403;
  ctx.set('Cache-Control', 'no-store');
  ctx.set(
    'WWW-Authenticate',
    challenge({ error: 'insufficient_scope', error_description: description, scope: scopes.join(' '), resource_metadata: resourceMetadataUrl }),
  );
  ctx.body = { error: 'insufficient_scope', error_description: description };
}

/**
 * Koa middleware: every request it guards must carry a valid bearer JWT in the
 * Authorization header (tokens in the query string are refused). On success the caller's
 * Principal is in `ctx.state.principal`.
 */
export function bearerAuth(settings: BearerAuthSettings) {
  return async (ctx: Context, next: Next): Promise<void> => {
    if (ctx.URL.searchParams.has('access_token')) {
      reject(ctx, 400, settings, 'invalid_request', 'Send the access token in the Authorization header, not in the URL.');
      return;
    }
    const header = ctx.get('Authorization');
    if (!header) {
      reject(ctx, 401, settings, undefined, 'This server requires a bearer token.');
      return;
    }
    const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
    if (!match) {
      reject(ctx, 400, settings, 'invalid_request', 'The Authorization header must be "Bearer <token>".');
      return;
    }
    let principal: Principal;
    try {
      principal = await settings.verifier.verify(match[1]!);
    } catch (err) {
      if (err instanceof TokenVerificationError && err.code === 'provider_unavailable') {
        settings.log.warn('identity provider unavailable', { error: err.message, cause: String((err.cause as Error)?.message ?? '') });
        providerUnavailable(ctx);
        return;
      }
      const description = err instanceof TokenVerificationError ? err.message : 'The token is invalid.';
      settings.log.info('token rejected', { reason: description, path: ctx.path });
      reject(ctx, 401, settings, 'invalid_token', description);
      return;
    }
    const missing = settings.requiredScopes.filter((s) => !principal.scopes.includes(s));
    if (missing.length > 0) {
      reject(ctx, 403, settings, 'insufficient_scope', `The token lacks the scope(s): ${missing.join(' ')}.`);
      return;
    }
    ctx.state['principal'] = principal;
    await next();
  };
}
