import type { Principal } from '../domain/model.ts';

/** Why a bearer token was not accepted; the HTTP edge maps each to an RFC 6750 answer. */
export type TokenFailure =
  /** Bad signature, expired, wrong issuer or audience, missing claims: 401 invalid_token. */
  | 'invalid_token'
  /** The identity provider (JWKS) cannot be reached and no cached key applies: 503. */
  | 'provider_unavailable';

export class TokenVerificationError extends Error {
  override readonly name = 'TokenVerificationError';
  constructor(
    readonly code: TokenFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Verifies a bearer access token for this resource server and yields who presented it. */
export interface TokenVerifier {
  /** Resolves to the token's Principal, or rejects with a TokenVerificationError. */
  verify(token: string): Promise<Principal>;
}
export const TokenVerifier = Symbol.for('TokenVerifier');
