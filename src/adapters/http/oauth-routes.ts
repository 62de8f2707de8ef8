import type Router from '@koa/router';
import type { Access } from '../../domain/access.ts';
import type { Logger } from '../../ports/logger.ts';
import { discoverProvider, type ProviderMetadata } from '../auth/oidc-discovery.ts';
import { answer } from './bearer-auth.ts';

const METADATA_TTL_MS = 60 * 60 * 1000;
const METADATA_RETRY_MS = 30 * 1000;

/**
 * The identity provider's metadata document for the proxy, refetched after an hour. After
 * a failure it waits a little before asking again (a provider that drops traffic must not
 * make every request wait for a timeout) and serves the stale copy meanwhile.
 */
export class ProviderMetadataCache {
  private fetchedAt: number;
  private failedAt = -Infinity;

  constructor(
    private readonly issuer: string,
    private metadata: ProviderMetadata | undefined,
    private readonly deps: { now?: () => number; discover?: (issuer: string) => Promise<ProviderMetadata> } = {},
  ) {
    this.fetchedAt = metadata ? this.now() : -Infinity;
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  async get(): Promise<ProviderMetadata> {
    const stale = !this.metadata || this.now() - this.fetchedAt > METADATA_TTL_MS;
    if (stale && this.now() - this.failedAt > METADATA_RETRY_MS) {
      try {
        this.metadata = await (this.deps.discover ?? ((i) => discoverProvider(i, 3_000)))(this.issuer);
        this.fetchedAt = this.now();
      } catch (err) {
        this.failedAt = this.now();
        if (!this.metadata) throw err;
      }
    }
    if (!this.metadata) throw new Error('identity provider metadata unavailable');
    return this.metadata;
  }
}

export interface OAuthRoutesSettings {
  /** Canonical URL of /mcp (MCP_URL). */
  readonly resourceUrl: string;
  /** Issuer(s) listed as authorization_servers. */
  readonly authorizationServers: readonly string[];
  /** The provider's document, proxied for 2025-03-26 clients; undefined (HMAC): 404. */
  readonly providerMetadata?: ProviderMetadataCache | undefined;
}

/** Where the RFC 9728 document of a resource URL lives: the well-known prefix before its path. */
export function metadataPathFor(resourceUrl: string): string {
  const path = new URL(resourceUrl).pathname.replace(/\/$/, '');
  return `/.well-known/oauth-protected-resource${path}`;
}

/** RFC 9728 metadata for /mcp and /sse, and the identity provider's metadata proxied (RFC 8414 / OIDC). */
export function oauthRoutes(router: Router, settings: OAuthRoutesSettings, access: Access, log: Logger): void {
  const scopesSupported = [...new Set([...access.scopesFor('read'), ...access.scopesFor('write')])];
  const metadata = (resource: string) => ({
    resource,
    authorization_servers: settings.authorizationServers,
    scopes_supported: scopesSupported,
    bearer_methods_supported: ['header'],
    resource_name: 'trino-mcp',
  });
  const paths = new Set(['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp', metadataPathFor(settings.resourceUrl)]);
  router.get([...paths], (ctx) => {
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = metadata(settings.resourceUrl);
  });
  router.get('/.well-known/oauth-protected-resource/sse', (ctx) => {
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = metadata(new URL('/sse', settings.resourceUrl).href);
  });
  router.get(['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'], async (ctx) => {
    if (!settings.providerMetadata) {
      ctx.status = 404;
      ctx.body = { error: 'not_found', error_description: 'This server delegates to its authorization server; see /.well-known/oauth-protected-resource.' };
      return;
    }
    try {
      const doc = await settings.providerMetadata.get();
      ctx.set('Cache-Control', 'public, max-age=300');
      ctx.body = doc;
    } catch (err) {
      log.warn('identity provider metadata unavailable', { error: (err as Error).message });
      answer(ctx, { kind: 'provider_unavailable' }, [], '');
    }
  });
}
