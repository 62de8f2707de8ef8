import { clientCredentials, tokenExchange } from '../adapters/trino/credentials/oauth-credentials.ts';
import { OAuthTokenClient } from '../adapters/trino/credentials/oauth-token-client.ts';
import { basicCredentials, fileTokenCredentials, noCredentials, readTokenFile, staticTokenCredentials } from '../adapters/trino/credentials/static-credentials.ts';
import type { TrinoCredentials } from '../adapters/trino/credentials/trino-credentials.ts';
import { loadTrinoTls, type TrinoTls } from '../adapters/trino/tls-options.ts';
import type { Logger } from '../ports/logger.ts';
import type { Config } from './config.ts';
import { StartupError } from './startup-error.ts';

/** What the engine needs to reach Trino as configured: the credential of the mode and the TLS material. */
export interface TrinoAccess {
  readonly credentials: TrinoCredentials;
  readonly tls?: TrinoTls | undefined;
}

/** Runs `f`; an Error it throws (its message starts with the variable) becomes a StartupError. */
function atStart<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    throw new StartupError((err as Error).message);
  }
}

/**
 * Reads every file the Trino settings name and, for the OAuth modes, reaches the
 * authorization server once (discovery, and a first client_credentials token), so that a
 * wrong setting stops the start with one line naming the variable instead of failing the
 * first query.
 */
export async function prepareTrinoAccess(config: Config, log: Logger): Promise<TrinoAccess> {
  const t = config.trino;
  const tls = t.scheme === 'https' ? atStart(() => loadTrinoTls(t.tls)) : undefined;
  const auth = t.auth;
  let credentials: TrinoCredentials;
  switch (auth.mode) {
    case 'none':
      credentials = noCredentials(tls?.cert !== undefined);
      break;
    case 'basic':
      credentials = basicCredentials(t.user, auth.password);
      break;
    case 'jwt':
      credentials = auth.tokenFile
        ? atStart(() => fileTokenCredentials(auth.tokenFile!, (message, fields) => log.warn(message, fields)))
        : staticTokenCredentials(auth.token!);
      break;
    case 'client_credentials':
    case 'token_exchange': {
      const o = auth.oauth;
      const secretFile = o.clientSecretFile;
      if (secretFile) atStart(() => readTokenFile(secretFile, 'TRINO_OAUTH_CLIENT_SECRET_FILE'));
      const client = new OAuthTokenClient({
        tokenUrl: o.tokenUrl,
        issuer: o.issuer,
        clientId: o.clientId,
        // Read per token request: a rotated secret file applies without a restart.
        clientSecret: secretFile ? () => readTokenFile(secretFile, 'TRINO_OAUTH_CLIENT_SECRET_FILE') : () => o.clientSecret!,
        scope: o.scope,
        audience: o.audience,
      });
      try {
        await client.ready();
      } catch (err) {
        throw new StartupError(`TRINO_OAUTH_ISSUER: cannot discover the token endpoint of ${o.issuer}: ${(err as Error).message}`);
      }
      credentials = auth.mode === 'client_credentials' ? clientCredentials(client) : tokenExchange(client);
      log.info('Trino authorization server ready', { mode: auth.mode, endpoint: client.tokenEndpoint, clientId: o.clientId, audience: o.audience });
      break;
    }
    default: {
      const unreachable: never = auth;
      throw new Error(`unknown TRINO_AUTH ${String(unreachable)}`);
    }
  }
  return { credentials, tls };
}
