import { createLocalJWKSet, createRemoteJWKSet, customFetch, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Principal } from '../../domain/model.ts';
import { TokenVerificationError, type TokenVerifier } from '../../ports/token-verifier.ts';

/** What every accepted token must satisfy, whatever signs it. */
export interface JwtRules {
  /** Expected `iss`; unchecked when undefined (HMAC without an issuer). */
  readonly issuer?: string | undefined;
  /** `aud` must contain one of these (RFC 8707: the MCP server's canonical resource URL, or OIDC_AUDIENCE). */
  readonly audience: string | readonly string[];
  readonly clockToleranceSec: number;
}

const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
const HMAC = ['HS256', 'HS384', 'HS512'];

function invalid(description: string): TokenVerificationError {
  return new TokenVerificationError('invalid_token', description);
}

/** A claim that is a string, absent, or a reason to refuse the token. */
function stringClaim(payload: JWTPayload, claim: string): string | undefined {
  const v = payload[claim];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw invalid(`The token's "${claim}" claim must be a string.`);
  return v;
}

/** `scope` (RFC 8693/9068: space-separated) and `scp` (Okta, Entra): a string or an array of strings. */
function scopesOf(payload: JWTPayload): string[] {
  const out = new Set<string>();
  for (const claim of ['scope', 'scp']) {
    const v = payload[claim];
    if (v === undefined) continue;
    const words = typeof v === 'string' ? v.split(' ') : Array.isArray(v) && v.every((s) => typeof s === 'string') ? (v as string[]) : undefined;
    if (!words) throw invalid(`The token's "${claim}" claim must be a string of space-separated scopes or an array of strings.`);
    for (const s of words) if (s) out.add(s);
  }
  return [...out];
}

/**
 * What jose leaves unchecked. It requires `exp` and `sub` to be present and `iat`, `nbf`,
 * `exp` to be JSON numbers, but `1e999` parses to Infinity (a token that never expires),
 * `sub` may be any JSON value, and `iat` is only compared with the clock under
 * `maxTokenAge`.
 */
function checkStandardClaims(payload: JWTPayload, clockToleranceSec: number, nowSec: number): void {
  for (const claim of ['iat', 'nbf', 'exp'] as const) {
    const v = payload[claim];
    if (v !== undefined && !Number.isFinite(v)) throw invalid(`The token's "${claim}" claim must be a finite number of seconds.`);
  }
  if (payload.iat !== undefined && payload.iat > nowSec + clockToleranceSec) throw invalid('The token is issued in the future ("iat").');
  if (typeof payload.sub !== 'string' || payload.sub === '') throw invalid('The token\'s "sub" claim must be a non-empty string.');
}

/**
 * The Principal a verified token names. Identity claims of the wrong type refuse the
 * token rather than count as absent: a numeric `preferred_username` must not fall through
 * to `upn`, nor quietly leave impersonation without its claim.
 */
export function principalFromClaims(payload: JWTPayload): Principal {
  const preferred = stringClaim(payload, 'preferred_username');
  const upn = stringClaim(payload, 'upn');
  const plain = stringClaim(payload, 'username');
  const username = preferred ?? upn ?? plain;
  const email = stringClaim(payload, 'email');
  return {
    subject: payload.sub!,
    ...(username ? { username } : {}),
    ...(email ? { email } : {}),
    scopes: scopesOf(payload),
    via: 'http',
  };
}

/** Marks failures of key retrieval, which are the identity provider's, not the token's. */
class KeyRetrievalFailure extends Error {
  override readonly name = 'KeyRetrievalFailure';
}

async function verifyJwt(
  token: string,
  key: JWTVerifyGetKey | Uint8Array,
  algorithms: string[],
  rules: JwtRules,
): Promise<Principal> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, key as JWTVerifyGetKey, {
      algorithms,
      audience: typeof rules.audience === 'string' ? rules.audience : [...rules.audience],
      // Providers differ on a trailing slash (Auth0 issues `https://tenant/`): accept both.
      ...(rules.issuer ? { issuer: [rules.issuer.replace(/\/$/, ''), `${rules.issuer.replace(/\/$/, '')}/`] } : {}),
      clockTolerance: rules.clockToleranceSec,
      requiredClaims: ['exp', 'sub'],
    }));
  } catch (err) {
    if (err instanceof KeyRetrievalFailure) {
      throw new TokenVerificationError('provider_unavailable', 'The identity provider cannot be reached to get its signing keys.', {
        cause: err.cause,
      });
    }
    throw new TokenVerificationError('invalid_token', describeJoseError(err), { cause: err });
  }
  checkStandardClaims(payload, rules.clockToleranceSec, Math.floor(Date.now() / 1000));
  // Up to exp plus the tolerance is when a request with this token is still let in.
  return { ...principalFromClaims(payload), expiresAt: (payload.exp! + rules.clockToleranceSec) * 1000 };
}

/** A short, safe description for error_description: which check failed, never the token. */
function describeJoseError(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'The token has expired.';
  if (err instanceof errors.JWTClaimValidationFailed) {
    const claim = err.claim;
    if (claim === 'aud') return 'The token was not issued for this resource (audience mismatch).';
    if (claim === 'iss') return 'The token was issued by an unexpected issuer.';
    if (claim === 'nbf' || claim === 'iat') return 'The token is not yet valid.';
    return `The token lacks a valid "${claim}" claim.`;
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return 'The token is signed with an algorithm this server does not accept.';
  if (err instanceof errors.JWKSNoMatchingKey) return 'The token is signed with an unknown key.';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'The token signature is invalid.';
  return 'The token is malformed or invalid.';
}

/**
 * Verifies RS/PS/ES/EdDSA-signed JWTs against the identity provider's JWKS. The key set is
 * refetched when it is older than `cacheMaxAgeMs` (so keys the provider removes stop being
 * trusted) and when a token names an unknown `kid`, at most once per cooldown (so rotation
 * is picked up without a restart). When the provider is down, the last key set fetched
 * keeps working; with no usable key the failure is `provider_unavailable`, not
 * `invalid_token`.
 */
export class JwksTokenVerifier implements TokenVerifier {
  private readonly getKey: JWTVerifyGetKey;
  private readonly remote: ReturnType<typeof createRemoteJWKSet>;

  constructor(
    jwksUrl: string,
    private readonly rules: JwtRules,
    options: { cooldownMs?: number; timeoutMs?: number; cacheMaxAgeMs?: number; onFetch?: (result: 'ok' | 'error') => void } = {},
  ) {
    const onFetch = options.onFetch;
    const remote = createRemoteJWKSet(new URL(jwksUrl), {
      cooldownDuration: options.cooldownMs ?? 30_000,
      cacheMaxAge: options.cacheMaxAgeMs ?? 10 * 60_000,
      timeoutDuration: options.timeoutMs ?? 5_000,
      // Counts every refetch (metrics); jose's own fetch does the work.
      ...(onFetch
        ? {
            [customFetch]: async (url: string, init: RequestInit) => {
              try {
                const res = await fetch(url, init);
                onFetch(res.ok ? 'ok' : 'error');
                return res;
              } catch (err) {
                onFetch('error');
                throw err;
              }
            },
          }
        : {}),
    });
    this.remote = remote;
    this.getKey = async (header, token) => {
      try {
        return await remote(header, token);
      } catch (err) {
        if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) throw err;
        // The provider is unreachable: the last key set it published is still the best evidence.
        const last = remote.jwks();
        if (last) {
          try {
            return await createLocalJWKSet(last)(header, token);
          } catch {
            // the key is not in the last set either: nothing to verify with
          }
        }
        throw new KeyRetrievalFailure('JWKS retrieval failed', { cause: err });
      }
    };
  }

  verify(token: string): Promise<Principal> {
    return verifyJwt(token, this.getKey, ASYMMETRIC, this.rules);
  }

  /**
   * Whether a key set is held (readiness): keys are fetched on the first token, so a
   * verifier that has none yet fetches them now. Bounded by the fetch timeout.
   */
  async holdsKeys(): Promise<boolean> {
    if (this.remote.jwks()?.keys.length) return true;
    try {
      await this.remote.reload();
    } catch {
      return false;
    }
    return Boolean(this.remote.jwks()?.keys.length);
  }
}

/** Verifies HS256/384/512 JWTs with a shared secret (development and simple set-ups). */
export class HmacTokenVerifier implements TokenVerifier {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly rules: JwtRules,
  ) {
    this.key = new TextEncoder().encode(secret);
    if (this.key.byteLength < 32) throw new Error('JWT_SECRET must be at least 32 bytes');
  }

  verify(token: string): Promise<Principal> {
    return verifyJwt(token, this.key, HMAC, this.rules);
  }
}
