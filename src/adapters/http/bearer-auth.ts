import type { Context, Next } from 'koa';
import { BearerCredential } from '../../domain/credential.ts';
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
  /** Told the kind of every refusal (metrics); never the token. */
  readonly onFailure?: ((kind: AuthFailure['kind']) => void) | undefined;
}

/** Every way a request can fail authentication at the HTTP edge; `answer` maps each exactly once. */
export type AuthFailure =
  | { readonly kind: 'token_in_url' }
  | { readonly kind: 'no_token' }
  | { readonly kind: 'malformed_header' }
  | { readonly kind: 'invalid_token'; readonly description: string }
  | { readonly kind: 'provider_unavailable' }
  | { readonly kind: 'insufficient_scope'; readonly scopes: readonly string[]; readonly description: string };

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
 * `WWW-Authenticate: Bearer` challenge naming the resource metadata (RFC 9728 §5.1) and
 * the scopes needed, `Cache-Control: no-store`, and a small JSON body. An identity
 * provider that cannot be reached is a 503 with Retry-After: not the caller's fault.
 */
export function answer(ctx: Context, failure: AuthFailure, requiredScopes: readonly string[], resourceMetadataUrl: string): void {
  ctx.set('Cache-Control', 'no-store');
  const refuse = (status: 400 | 401 | 403, error: string | undefined, description: string, scopes = requiredScopes) => {
    ctx.status = status;
    ctx.set(
      'WWW-Authenticate',
      challenge({
        ...(error ? { error, error_description: description } : {}),
        scope: scopes.join(' ') || undefined,
        resource_metadata: resourceMetadataUrl,
      }),
    );
    ctx.body = { error: error ?? 'unauthorized', error_description: description };
  };
  switch (failure.kind) {
    case 'token_in_url':
      return refuse(400, 'invalid_request', 'Send the access token in the Authorization header, not in the URL.');
    case 'no_token':
      return refuse(401, undefined, 'This server requires a bearer token.');
    case 'malformed_header':
      return refuse(400, 'invalid_request', 'The Authorization header must be "Bearer <token>".');
    case 'invalid_token':
      return refuse(401, 'invalid_token', failure.description);
    case 'insufficient_scope':
      return refuse(403, 'insufficient_scope', failure.description, failure.scopes);
    case 'provider_unavailable':
      ctx.status = 503;
      ctx.set('Retry-After', String(RETRY_AFTER_SECONDS));
      ctx.body = { error: 'temporarily_unavailable', error_description: 'The identity provider cannot be reached; retry later.' };
      return;
    default: {
      const unreachable: never = failure;
      return unreachable;
    }
  }
}

/** Why the verifier refused, as an AuthFailure: one exhaustive mapping of TokenVerificationError codes. */
function verificationFailure(err: unknown): AuthFailure {
  if (!(err instanceof TokenVerificationError)) return { kind: 'invalid_token', description: 'The token is invalid.' };
  switch (err.code) {
    case 'invalid_token':
      return { kind: 'invalid_token', description: err.message };
    case 'provider_unavailable':
      return { kind: 'provider_unavailable' };
    default: {
      const unreachable: never = err.code;
      return unreachable;
    }
  }
}

/**
 * Koa middleware: every request it guards must carry a valid bearer JWT in the
 * Authorization header (tokens in the query string are refused). On success the caller's
 * Principal is in `ctx.state.principal`.
 */
export function bearerAuth(settings: BearerAuthSettings) {
  // The one audit line per refused request: why, never the credential.
  const fail = (ctx: Context, failure: AuthFailure) => {
    settings.onFailure?.(failure.kind);
    const description = 'description' in failure ? { description: failure.description } : {};
    settings.log.info('authentication refused', { audit: 'auth_refused', reason: failure.kind, ...description, path: ctx.path });
    return answer(ctx, failure, settings.requiredScopes, settings.resourceMetadataUrl(ctx));
  };
  return async (ctx: Context, next: Next): Promise<void> => {
    if (ctx.URL.searchParams.has('access_token')) return fail(ctx, { kind: 'token_in_url' });
    const header = ctx.get('Authorization');
    if (!header) return fail(ctx, { kind: 'no_token' });
    const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
    if (!match) return fail(ctx, { kind: 'malformed_header' });
    let principal: Principal;
    try {
      // The token rides along, unprintable, for TRINO_AUTH=token_exchange (src/adapters/trino/credentials).
      principal = { ...(await settings.verifier.verify(match[1]!)), credential: new BearerCredential(match[1]!) };
    } catch (err) {
      const failure = verificationFailure(err);
      if (failure.kind === 'provider_unavailable') {
        const cause = (err as Error).cause as Error | undefined;
        settings.log.warn('identity provider unavailable', { error: (err as Error).message, cause: String(cause?.message ?? '') });
      }
      return fail(ctx, failure);
    }
    const missing = settings.requiredScopes.filter((s) => !principal.scopes.includes(s));
    if (missing.length > 0) {
      return fail(ctx, { kind: 'insufficient_scope', scopes: settings.requiredScopes, description: `The token lacks the scope(s): ${missing.join(' ')}.` });
    }
    ctx.state['principal'] = principal;
    await next();
  };
}

/** The caller bearerAuth (or the anonymous stand-in without OAuth) put on this request. */
export function principalOf(ctx: Context): Principal {
  return ctx.state['principal'] as Principal;
}
