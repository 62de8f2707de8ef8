import * as oauth from 'oauth4webapi';
import { isLoopbackHost } from '../../../domain/loopback.ts';

/** Where the authorization server is and who this server is to it (TRINO_OAUTH_*). */
export interface OAuthClientSettings {
  /** TRINO_OAUTH_TOKEN_URL; else the issuer's discovered token endpoint. */
  readonly tokenUrl?: string | undefined;
  /** TRINO_OAUTH_ISSUER. */
  readonly issuer?: string | undefined;
  readonly clientId: string;
  /** Read on every token request, so a rotated TRINO_OAUTH_CLIENT_SECRET_FILE applies without a restart. */
  readonly clientSecret: () => string;
  readonly scope?: string | undefined;
  readonly audience?: string | undefined;
  /** Bound of one request to the authorization server. */
  readonly timeoutMs?: number | undefined;
}

/** Why no token came: the server did not answer, or it answered with a refusal. */
export class TokenRequestError extends Error {
  override readonly name = 'TokenRequestError';
  constructor(
    readonly kind: 'unavailable' | 'refused',
    /** The OAuth error code (invalid_grant, invalid_client …) of a refusal. */
    readonly oauthError: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const DEFAULT_TIMEOUT_MS = 10_000;
/** Used when the response has no expires_in (RFC 6749 makes it optional). */
const DEFAULT_LIFETIME_MS = 60_000;

/** The identity provider's own words, bounded and printable: they end up in a tool result. */
function shown(text: unknown): string {
  return typeof text === 'string' ? text.replace(/[^\x20-\x7e]/g, '?').slice(0, 200) : '';
}

/**
 * Plain http is for loopback only (a test or a sidecar on the same host): elsewhere the
 * client secret and the users' tokens would cross the network in clear text.
 */
export function insecureAllowed(url: string): boolean {
  const u = new URL(url);
  return u.protocol === 'http:' && isLoopbackHost(u.hostname);
}

/**
 * The token endpoint calls of client_credentials and RFC 8693 token exchange, on
 * oauth4webapi (which validates the responses). Discovery happens once, in `ready()`.
 */
export class OAuthTokenClient {
  private server: oauth.AuthorizationServer | undefined;
  private readonly client: oauth.Client;

  constructor(private readonly settings: OAuthClientSettings) {
    this.client = { client_id: settings.clientId };
  }

  /** Resolves the token endpoint (discovery when only the issuer is given); rejects with a TokenRequestError. */
  async ready(): Promise<void> {
    if (this.server) return;
    const { tokenUrl, issuer } = this.settings;
    if (tokenUrl) {
      this.server = { issuer: issuer ?? new URL(tokenUrl).origin, token_endpoint: tokenUrl };
      return;
    }
    const issuerUrl = new URL(issuer!);
    try {
      const response = await oauth.discoveryRequest(issuerUrl, { algorithm: 'oidc', ...this.options() });
      this.server = await oauth.processDiscoveryResponse(issuerUrl, response);
    } catch (err) {
      throw this.failure(err);
    }
    if (!this.server.token_endpoint) throw new TokenRequestError('unavailable', undefined, `the metadata of ${issuer} has no token_endpoint`);
  }

  /** The token endpoint in use, for the start-up log. */
  get tokenEndpoint(): string | undefined {
    return this.server?.token_endpoint;
  }

  /** client_credentials grant: a token for this server itself. */
  async clientCredentials(): Promise<{ token: string; lifetimeMs: number }> {
    const params = new URLSearchParams();
    if (this.settings.scope) params.set('scope', this.settings.scope);
    if (this.settings.audience) params.set('audience', this.settings.audience);
    return this.grant(async (as, auth) =>
      oauth.processClientCredentialsResponse(as, this.client, await oauth.clientCredentialsGrantRequest(as, this.client, auth, params, this.options())),
    );
  }

  /** RFC 8693: the caller's access token for one whose audience is Trino. */
  async exchange(subjectToken: string): Promise<{ token: string; lifetimeMs: number }> {
    const params = new URLSearchParams({ subject_token: subjectToken, subject_token_type: ACCESS_TOKEN_TYPE, requested_token_type: ACCESS_TOKEN_TYPE });
    if (this.settings.audience) params.set('audience', this.settings.audience);
    if (this.settings.scope) params.set('scope', this.settings.scope);
    return this.grant(async (as, auth) =>
      oauth.processGenericTokenEndpointResponse(as, this.client, await oauth.genericTokenEndpointRequest(as, this.client, auth, TOKEN_EXCHANGE, params, this.options())),
    );
  }

  private async grant(
    request: (as: oauth.AuthorizationServer, auth: oauth.ClientAuth) => Promise<oauth.TokenEndpointResponse>,
  ): Promise<{ token: string; lifetimeMs: number }> {
    await this.ready();
    let response: oauth.TokenEndpointResponse;
    try {
      // client_secret_post: the one method Okta, Entra, Auth0 and Keycloak all accept.
      response = await request(this.server!, oauth.ClientSecretPost(this.settings.clientSecret()));
    } catch (err) {
      throw this.failure(err);
    }
    const seconds = typeof response.expires_in === 'number' && response.expires_in > 0 ? response.expires_in : undefined;
    return { token: response.access_token, lifetimeMs: seconds !== undefined ? seconds * 1000 : DEFAULT_LIFETIME_MS };
  }

  private options(): { signal: AbortSignal; [oauth.allowInsecureRequests]?: boolean } {
    const url = this.settings.tokenUrl ?? this.settings.issuer!;
    return {
      signal: AbortSignal.timeout(this.settings.timeoutMs ?? DEFAULT_TIMEOUT_MS),
      ...(insecureAllowed(url) ? { [oauth.allowInsecureRequests]: true } : {}),
    };
  }

  /** A refusal is a 4xx OAuth error; everything else (no answer, 5xx, garbage) is an outage. */
  private failure(err: unknown): TokenRequestError {
    if (err instanceof oauth.ResponseBodyError && err.status >= 400 && err.status < 500) {
      const description = shown(err.error_description);
      return new TokenRequestError('refused', shown(err.error), `${shown(err.error)}${description ? `: ${description}` : ''}`);
    }
    if (err instanceof oauth.WWWAuthenticateChallengeError && err.status === 401) {
      const challenge = err.cause[0];
      const code = shown(challenge?.parameters.error ?? 'invalid_client');
      return new TokenRequestError('refused', code, code);
    }
    const e = err as { name?: string; status?: number; cause?: { code?: string } };
    const what = e.name === 'TimeoutError' ? 'no answer in time' : e.status !== undefined ? `HTTP ${e.status}` : (e.cause?.code ?? shown((err as Error).message));
    return new TokenRequestError('unavailable', undefined, what);
  }
}

export { TOKEN_EXCHANGE };
