import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
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

function scopesOf(payload: JWTPayload): string[] {
  const out = new Set<string>();
  const add = (v: unknown) => {
    if (typeof v === 'string') {
      for (const s of v.split(' ')) if (s) out.add(s);
    } else if (Array.isArray(v)) {
      for (const s of v) if (typeof s === 'string' && s) out.add(s);
    }
  };
  add(payload['scope']);
  add(payload['scp']);
  return [...out];
}

/** The Principal a verified token names. */
export function principalFromClaims(payload: JWTPayload): Principal {
  const str = (k: string) => (typeof payload[k] === 'string' ? (payload[k] as string) : undefined);
  const username = str('preferred_username') ?? str('upn') ?? str('username');
  const email = str('email');
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
  try {
    const { payload } = await jwtVerify(token, key as JWTVerifyGetKey, {
      algorithms,
      audience: typeof rules.audience === 'string' ? rules.audience : [...rules.audience],
      // Providers differ on a trailing slash (Auth0 issues `https://tenant/`): accept both.
      ...(rules.issuer ? { issuer: [rules.issuer.replace(/\/$/, ''), `${rules.issuer.replace(/\/$/, '')}/`] } : {}),
      clockTolerance: rules.clockToleranceSec,
      requiredClaims: ['exp', 'sub'],
    });
    // Up to exp plus the tolerance is when a request with this token is still let in.
    return { ...principalFromClaims(payload), expiresAt: (payload.exp! + rules.clockToleranceSec) * 1000 };
  } catch (err) {
    if (err instanceof KeyRetrievalFailure) {
      throw new TokenVerificationError('provider_unavailable', 'The identity provider cannot be reached to get its signing keys.', {
        cause: err.cause,
      });
    }
    throw new TokenVerificationError('invalid_token', describeJoseError(err), { cause: err });
  }
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

  constructor(
    jwksUrl: string,
    private readonly rules: JwtRules,
    options: { cooldownMs?: number; timeoutMs?: number; cacheMaxAgeMs?: number } = {},
  ) {
    const remote = createRemoteJWKSet(new URL(jwksUrl), {
      cooldownDuration: options.cooldownMs ?? 30_000,
      cacheMaxAge: options.cacheMaxAgeMs ?? 10 * 60_000,
      timeoutDuration: options.timeoutMs ?? 5_000,
    });
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
