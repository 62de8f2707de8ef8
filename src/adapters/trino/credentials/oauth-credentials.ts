import { DomainError } from '../../../domain/errors.ts';
import type { Principal } from '../../../domain/model.ts';
import { TokenRequestError, type OAuthTokenClient } from './oauth-token-client.ts';
import { TokenCache, type TokenCacheOptions } from './token-cache.ts';
import type { TrinoCredentials } from './trino-credentials.ts';

/** Resolves with `promise` unless `signal` aborts first (the shared token request goes on for the others). */
function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function unavailable(err: TokenRequestError): DomainError {
  return new DomainError('ENGINE_UNAVAILABLE', `The identity provider that issues Trino tokens did not answer (${err.message}); retry later.`, {
    retryable: true,
  });
}

const SELF = 'client_credentials';

/**
 * TRINO_AUTH=client_credentials: this server's own token, from the OAuth 2.0 client
 * credentials grant, shared by every query until shortly before it expires.
 */
export function clientCredentials(client: OAuthTokenClient, cacheOptions: TokenCacheOptions = {}): TrinoCredentials {
  const cache = new TokenCache({ ...cacheOptions, maxEntries: 1 });
  return {
    mode: 'client_credentials',
    namesUser: true,
    async authorization(_principal: Principal, signal: AbortSignal) {
      try {
        return `Bearer ${await unlessAborted(cache.get(SELF, () => client.clientCredentials()), signal)}`;
      } catch (err) {
        if (!(err instanceof TokenRequestError)) throw err;
        if (err.kind === 'unavailable') throw unavailable(err);
        throw new DomainError(
          'ENGINE_UNAVAILABLE',
          `The identity provider refused this server's client credentials (${err.message}); the operator must check TRINO_OAUTH_CLIENT_ID and TRINO_OAUTH_CLIENT_SECRET.`,
          { retryable: false },
        );
      }
    },
    rejected(_principal: Principal, header: string) {
      cache.drop(SELF, header.replace(/^Bearer /, ''));
    },
    refusedCredential: () => "this server's token from the client credentials grant (TRINO_OAUTH_CLIENT_ID)",
  };
}

/**
 * TRINO_AUTH=token_exchange: for each caller, RFC 8693 token exchange of the caller's
 * verified access token for one whose audience is Trino, this server authenticating as a
 * confidential client. Trino then authenticates the caller itself; the caller's own token
 * goes only to the identity provider, and the exchanged one only to Trino. Cached per
 * subject until shortly before it expires.
 */
export function tokenExchange(client: OAuthTokenClient, cacheOptions: TokenCacheOptions = {}): TrinoCredentials {
  const cache = new TokenCache(cacheOptions);
  return {
    mode: 'token_exchange',
    namesUser: true,
    async authorization(principal: Principal, signal: AbortSignal) {
      const subjectToken = principal.credential?.reveal();
      // Config allows this mode only with OAuth over HTTP, where every caller has a token.
      if (!subjectToken) throw new DomainError('INTERNAL', `token exchange needs the caller's access token, and ${principal.via} gave none`);
      try {
        return `Bearer ${await unlessAborted(cache.get(principal.subject, () => client.exchange(subjectToken)), signal)}`;
      } catch (err) {
        if (!(err instanceof TokenRequestError)) throw err;
        if (err.kind === 'unavailable') throw unavailable(err);
        if (err.oauthError === 'invalid_client' || err.oauthError === 'unauthorized_client') {
          throw new DomainError(
            'ENGINE_UNAVAILABLE',
            `The identity provider refused this server as a token-exchange client (${err.message}); the operator must check TRINO_OAUTH_CLIENT_ID, TRINO_OAUTH_CLIENT_SECRET and the client's token-exchange permission.`,
            { retryable: false },
          );
        }
        throw new DomainError(
          'POLICY_DENIED',
          `The identity provider refused to exchange your token for a Trino token (${err.message}), so nothing was run in Trino.`,
          { rule: 'TOKEN_EXCHANGE' },
        );
      }
    },
    rejected(principal: Principal, header: string) {
      cache.drop(principal.subject, header.replace(/^Bearer /, ''));
    },
    refusedCredential: () => 'the token the identity provider issued for you by token exchange',
  };
}
