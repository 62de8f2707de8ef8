import { SignJWT } from 'jose';
import type { Config } from './config.ts';

export interface TokenRequest {
  readonly sub: string;
  /** Space- or comma-separated scopes. */
  readonly scope?: string | undefined;
  /** A jose time span: `1h`, `30m`, `3600s`, `2 days`. */
  readonly ttl: string;
}

/** A refusal of `trino-mcp token`: one line, exit 2. */
export class TokenRefused extends Error {
  override readonly name = 'TokenRefused';
}

/**
 * Mints an HS256 token that this configuration's HmacTokenVerifier accepts: signed with
 * JWT_SECRET, for the configured audience and (when set) issuer. For local testing only;
 * production tokens come from the identity provider.
 */
export async function mintToken(config: Config, request: TokenRequest): Promise<string> {
  const oauth = config.oauth;
  if (!oauth) throw new TokenRefused('OAuth is off: set OAUTH_ENABLED=true and JWT_SECRET, as for the server that is to accept the token');
  if (oauth.provider !== 'hmac' || !oauth.secret) {
    throw new TokenRefused(`JWT_SECRET: not set for HMAC tokens (the server verifies ${oauth.providerName} tokens of ${oauth.issuer ?? 'the provider'}); set JWT_SECRET, at least 32 bytes, without OIDC_ISSUER or with OAUTH_PROVIDER=hmac`);
  }
  if (!request.sub.trim()) throw new TokenRefused('--sub: must not be empty');
  const scopes = (request.scope ?? '').split(/[\s,]+/).filter(Boolean);
  const jwt = new SignJWT({ ...(scopes.length ? { scope: scopes.join(' ') } : {}) })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(request.sub)
    .setAudience(oauth.audiences[0]!)
    .setIssuedAt();
  if (oauth.issuer) jwt.setIssuer(oauth.issuer);
  // jose parses the span (units s, m, h, d, w, y and their long forms); a bare number is seconds.
  const ttl = /^\d+$/.test(request.ttl.trim()) ? `${request.ttl.trim()}s` : request.ttl.trim();
  const bad = new TokenRefused(`--ttl: ${request.ttl} is not a duration in the future (e.g. 1h, 30m, 3600)`);
  if (/^[-+]|ago$/i.test(ttl)) throw bad;
  try {
    jwt.setExpirationTime(ttl);
  } catch {
    throw bad;
  }
  return jwt.sign(new TextEncoder().encode(oauth.secret));
}
