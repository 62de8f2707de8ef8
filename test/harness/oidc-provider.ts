/**
 * A real OAuth 2.1 / OpenID Connect authorization server for tests, on loopback, built on
 * `oidc-provider` (v9). It issues RFC 9068 JWT access tokens (`typ: at+jwt`) whose `aud` is the
 * RFC 8707 `resource` asked for, so resource-server tests can verify them against the published JWKS.
 *
 *   - issuer `http://127.0.0.1:<port>` (plain HTTP); discovery at `/.well-known/openid-configuration`
 *     and `/.well-known/oauth-authorization-server` (both served by oidc-provider itself);
 *   - pre-registered clients: `test-service` (confidential, client_credentials, secret
 *     TEST_SERVICE_SECRET) and `test-public` (public native client, auth code + PKCE, any loopback port);
 *   - open dynamic client registration at the `registration_endpoint` (`/reg`);
 *   - minimal login and consent pages at `/interaction/:uid`, driven by `loginAndConsent`;
 *   - `rotateKeys()` rebuilds the Provider with the key list [new, ...old] on the same listening
 *     socket (oidc-provider has no runtime key API), keeping clients, grants and sessions (shared
 *     adapter store and cookie keys).
 *
 * Uses erasable TypeScript only (no enums or parameter properties), like the other harness files.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider, { errors, type Adapter, type AdapterPayload, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';

export interface TestIdp {
  readonly issuer: string;
  readonly port: number;
  /** client_credentials token for the pre-registered confidential client, with `resource` (RFC 8707) and scopes. Returns the access token (a JWT whose aud is the resource). */
  clientCredentialsToken(opts: { resource: string; scope?: string }): Promise<string>;
  /** Completes an authorization request over plain HTTP like a user would (fresh cookie jar per call) and returns the final redirect URL (with ?code=&state=, or ?error=) WITHOUT fetching it. */
  loginAndConsent(authorizationUrl: string, user?: string): Promise<URL>;
  /** Adds a new signing key and makes it the one used for new tokens (JWKS now lists new + old); old keys stay published. */
  rotateKeys(): Promise<void>;
  /** Stop answering (close the listening socket and open connections, keep state) / start again on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Final shutdown. */
  close(): Promise<void>;
}

export interface TestIdpOptions {
  /** Port on 127.0.0.1; a free one by default. */
  port?: number;
  /** Every scope the server supports; default DEFAULT_SCOPES. `openid` is always added. All but openid/offline_access/profile/email are resource (API) scopes. */
  scopes?: string[];
}

export const TEST_SERVICE_CLIENT_ID = 'test-service';
export const TEST_SERVICE_SECRET = 'test-service-secret-0123456789abcdef';
export const TEST_PUBLIC_CLIENT_ID = 'test-public';
export const TEST_PUBLIC_REDIRECT_URIS: readonly string[] = ['http://127.0.0.1/callback', 'http://localhost/callback'];
export const DEFAULT_SCOPES: readonly string[] = ['openid', 'offline_access', 'trino:read', 'trino:write'];
export const ACCESS_TOKEN_TTL_SECONDS = 600;

/** Scopes that belong to OpenID Connect itself rather than to a resource server. */
const OIDC_ONLY_SCOPES = new Set(['openid', 'offline_access', 'profile', 'email']);

export function emailOf(user: string): string {
  return `${user}@example.test`;
}

// ---------------------------------------------------------------------------------------
// Storage shared by every Provider instance of one IdP (survives rotateKeys)

interface Stored {
  payload: AdapterPayload;
  expiresAt: number | undefined;
}

type Store = Map<string, Stored>;

class MemoryAdapter implements Adapter {
  readonly #model: string;
  readonly #store: Store;

  constructor(model: string, store: Store) {
    this.#model = model;
    this.#store = store;
  }

  #key(id: string): string {
    return `${this.#model}:${id}`;
  }

  #live(key: string): AdapterPayload | undefined {
    const entry = this.#store.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      this.#store.delete(key);
      return undefined;
    }
    return entry.payload;
  }

  #findBy(predicate: (payload: AdapterPayload) => boolean): AdapterPayload | undefined {
    const prefix = `${this.#model}:`;
    for (const key of [...this.#store.keys()]) {
      if (!key.startsWith(prefix)) continue;
      const payload = this.#live(key);
      if (payload && predicate(payload)) return payload;
    }
    return undefined;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : undefined;
    this.#store.set(this.#key(id), { payload, expiresAt });
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return this.#live(this.#key(id));
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.#findBy((p) => p.userCode === userCode);
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.#findBy((p) => p.uid === uid);
  }

  async consume(id: string): Promise<void> {
    const payload = this.#live(this.#key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id: string): Promise<void> {
    this.#store.delete(this.#key(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    for (const [key, entry] of [...this.#store]) {
      if (entry.payload.grantId === grantId) this.#store.delete(key);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Keys

async function newSigningKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: randomUUID(), alg: 'RS256', use: 'sig' };
}

// ---------------------------------------------------------------------------------------
// Provider configuration

function isHttpUrl(value: string): boolean {
  const url = URL.parse(value);
  return url !== null && (url.protocol === 'http:' || url.protocol === 'https:') && url.hash === '';
}

function buildConfiguration(keys: readonly JWK[], scopes: readonly string[], store: Store, cookieKeys: string[]): Configuration {
  const resourceScopes = scopes.filter((s) => !OIDC_ONLY_SCOPES.has(s)).join(' ');
  const clients: NonNullable<Configuration['clients']> = [
    {
      client_id: TEST_SERVICE_CLIENT_ID,
      client_secret: TEST_SERVICE_SECRET,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: resourceScopes,
    },
    {
      client_id: TEST_PUBLIC_CLIENT_ID,
      // native: http loopback redirect URIs match on any port (RFC 8252 section 7.3).
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [...TEST_PUBLIC_REDIRECT_URIS],
    },
  ];
  return {
    adapter: (model: string) => new MemoryAdapter(model, store),
    clients,
    jwks: { keys: keys.map((k) => ({ ...k })) as NonNullable<Configuration['jwks']>['keys'] },
    cookies: { keys: cookieKeys },
    scopes: [...scopes],
    claims: {
      openid: ['sub'],
      profile: ['preferred_username'],
      email: ['email', 'email_verified'],
    },
    async findAccount(_ctx, id) {
      return {
        accountId: id,
        async claims() {
          return { sub: id, preferred_username: id, email: emailOf(id), email_verified: true };
        },
      };
    },
    async extraTokenClaims(_ctx, token) {
      // AccessToken of a user (code flow); ClientCredentials tokens have no account.
      const accountId = 'accountId' in token ? token.accountId : undefined;
      if (!accountId) return undefined;
      return { preferred_username: accountId, email: emailOf(accountId) };
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      registration: { enabled: true, initialAccessToken: false },
      resourceIndicators: {
        enabled: true,
        async defaultResource(_ctx, _client, oneOf) {
          return oneOf;
        },
        async useGrantedResource() {
          return true;
        },
        async getResourceServerInfo(_ctx, resourceIndicator) {
          if (!isHttpUrl(resourceIndicator)) throw new errors.InvalidTarget('resource must be an http(s) URL without a fragment');
          return {
            scope: resourceScopes,
            audience: resourceIndicator,
            accessTokenTTL: ACCESS_TOKEN_TTL_SECONDS,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    pkce: { required: () => true },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    clientBasedCORS: () => true,
    ttl: {
      AccessToken: ACCESS_TOKEN_TTL_SECONDS,
      ClientCredentials: ACCESS_TOKEN_TTL_SECONDS,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: 24 * 3600,
      Interaction: 3600,
      Session: 24 * 3600,
      Grant: 24 * 3600,
    },
    async renderError(ctx: KoaContextWithOIDC, out) {
      ctx.type = 'html';
      ctx.body = page('Error', `<p>${htmlEscape(`${out.error}: ${out.error_description ?? ''}`)}</p>`);
    },
  };
}

// ---------------------------------------------------------------------------------------
// Interaction pages (login, consent)

function htmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function htmlText(html: string): string {
  return html
    .replace(/<head>[\s\S]*?<\/head>/i, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#(\d+);/g, (_s, n: string) => String.fromCharCode(Number(n)))
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}

function page(title: string, body: string): string {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${htmlEscape(title)}</title></head><body><h1>${htmlEscape(title)}</h1>${body}</body></html>`;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function send(res: ServerResponse, status: number, html: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(html);
}

async function handleInteraction(provider: Provider, req: IncomingMessage, res: ServerResponse, uid: string, action: string | undefined): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) {
    send(res, 400, page('Error', '<p>interaction mismatch</p>'));
    return;
  }
  const { prompt, params, session } = details;
  const base = `/interaction/${encodeURIComponent(uid)}`;

  if (req.method === 'GET' && action === undefined) {
    if (prompt.name === 'login') {
      send(res, 200, page('Sign in', `<form id="login" method="post" action="${base}/login">
<input type="text" name="login" placeholder="username" autofocus>
<input type="password" name="password" placeholder="any password">
<button type="submit">Sign in</button></form>
<form id="abort" method="post" action="${base}/abort"><button type="submit">Cancel</button></form>`));
      return;
    }
    if (prompt.name === 'consent') {
      const scopes = typeof params['scope'] === 'string' ? params['scope'] : '';
      send(res, 200, page('Authorize', `<p>Client <code>${htmlEscape(String(params['client_id']))}</code> asks for <code>${htmlEscape(scopes)}</code>.</p>
<form id="consent" method="post" action="${base}/confirm"><button type="submit" autofocus>Allow</button></form>
<form id="abort" method="post" action="${base}/abort"><button type="submit">Deny</button></form>`));
      return;
    }
    send(res, 501, page('Error', `<p>unsupported prompt ${htmlEscape(prompt.name)}</p>`));
    return;
  }

  if (req.method !== 'POST') {
    send(res, 405, page('Error', '<p>method not allowed</p>'));
    return;
  }
  const form = await readForm(req);
  switch (action) {
    case 'login': {
      const login = form.get('login')?.trim();
      if (prompt.name !== 'login' || !login) {
        send(res, 400, page('Error', '<p>a username is required</p>'));
        return;
      }
      await provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
      return;
    }
    case 'confirm': {
      if (prompt.name !== 'consent') {
        send(res, 400, page('Error', '<p>no consent pending</p>'));
        return;
      }
      const missing = prompt.details as {
        missingOIDCScope?: string[];
        missingOIDCClaims?: string[];
        missingResourceScopes?: Record<string, string[]>;
      };
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: session?.accountId ?? '', clientId: String(params['client_id']) });
      if (!grant) throw new Error(`grant ${details.grantId} not found`);
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
        grant.addResourceScope(resource, scopes.join(' '));
      }
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
      return;
    }
    case 'abort':
      await provider.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'End-User aborted interaction' },
        { mergeWithLastSubmission: false },
      );
      return;
    default:
      send(res, 404, page('Error', '<p>not found</p>'));
  }
}

// ---------------------------------------------------------------------------------------
// A user agent for loginAndConsent: manual redirects and a cookie jar (per host, path-matched)

interface Cookie {
  name: string;
  value: string;
  path: string;
}

class CookieJar {
  readonly #byHost = new Map<string, Map<string, Cookie>>();

  store(url: URL, setCookies: readonly string[]): void {
    let jar = this.#byHost.get(url.hostname);
    if (!jar) this.#byHost.set(url.hostname, (jar = new Map()));
    for (const line of setCookies) {
      const [pair = '', ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let path = url.pathname.slice(0, url.pathname.lastIndexOf('/')) || '/';
      let expired = false;
      for (const attr of attrs) {
        const i = attr.indexOf('=');
        const key = (i < 0 ? attr : attr.slice(0, i)).trim().toLowerCase();
        const val = i < 0 ? '' : attr.slice(i + 1).trim();
        if (key === 'path' && val.startsWith('/')) path = val;
        else if (key === 'max-age' && Number(val) <= 0) expired = true;
        else if (key === 'expires' && Date.parse(val) <= Date.now()) expired = true;
      }
      const id = `${name};${path}`;
      if (expired) jar.delete(id);
      else jar.set(id, { name, value, path });
    }
  }

  header(url: URL): string | undefined {
    const jar = this.#byHost.get(url.hostname);
    if (!jar) return undefined;
    const matches = [...jar.values()]
      .filter((c) => url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .sort((a, b) => b.path.length - a.path.length);
    return matches.length ? matches.map((c) => `${c.name}=${c.value}`).join('; ') : undefined;
  }
}

interface HtmlForm {
  id: string | undefined;
  action: string;
  method: string;
  fields: Map<string, string>;
}

function attribute(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}\\s*=\\s*("([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(tag);
  if (!m) return undefined;
  return (m[2] ?? m[3] ?? m[4] ?? '').replace(/&amp;/g, '&').replace(/&#(\d+);/g, (_s, n: string) => String.fromCharCode(Number(n)));
}

function parseForms(html: string): HtmlForm[] {
  const forms: HtmlForm[] = [];
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const open = `<form ${m[1] ?? ''}>`;
    const fields = new Map<string, string>();
    for (const input of (m[2] ?? '').matchAll(/<input\b[^>]*>/gi)) {
      const name = attribute(input[0], 'name');
      if (name) fields.set(name, attribute(input[0], 'value') ?? '');
    }
    forms.push({
      id: attribute(open, 'id'),
      action: attribute(open, 'action') ?? '',
      method: (attribute(open, 'method') ?? 'get').toUpperCase(),
      fields,
    });
  }
  return forms;
}

// ---------------------------------------------------------------------------------------

export async function startTestIdp(opts: TestIdpOptions = {}): Promise<TestIdp> {
  const scopes = [...new Set(['openid', ...(opts.scopes ?? DEFAULT_SCOPES)])];
  const store: Store = new Map();
  const cookieKeys = [randomBytes(32).toString('base64url')];
  let keys: JWK[] = [await newSigningKey()];
  let provider: Provider | undefined;
  let providerHandler: ((req: IncomingMessage, res: ServerResponse) => unknown) | undefined;
  let server: Server | undefined;
  let closed = false;

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    // No keep-alive: after stop() every client sees a refused connection, never a pooled socket
    // that the server has just closed.
    res.setHeader('Connection', 'close');
    const current = provider;
    const currentHandler = providerHandler;
    if (!current || !currentHandler) {
      send(res, 503, page('Error', '<p>starting</p>'));
      return;
    }
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const m = /^\/interaction\/([^/]+)(?:\/([a-z]+))?\/?$/.exec(path);
    if (!m) {
      void currentHandler(req, res);
      return;
    }
    handleInteraction(current, req, res, decodeURIComponent(m[1] ?? ''), m[2]).catch((err: unknown) => {
      const expected = err instanceof errors.SessionNotFound;
      if (!expected) console.error('[test-idp] interaction failed:', err);
      if (!res.headersSent) send(res, expected ? 400 : 500, page('Error', `<p>${htmlEscape(String((err as Error)?.message ?? err))}</p>`));
      else res.end();
    });
  };

  const listen = (port: number): Promise<Server> =>
    new Promise((resolve, reject) => {
      const s = createServer(handler);
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        s.off('error', reject);
        resolve(s);
      });
    });

  server = await listen(opts.port ?? 0);
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${port}`;

  const buildProvider = (): void => {
    const p = new Provider(issuer, buildConfiguration(keys, scopes, store, cookieKeys));
    provider = p;
    providerHandler = p.callback();
  };
  buildProvider();

  const stopServer = async (): Promise<void> => {
    const s = server;
    server = undefined;
    if (!s) return;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  };

  return {
    issuer,
    port,

    async clientCredentialsToken({ resource, scope }) {
      const body = new URLSearchParams({ grant_type: 'client_credentials', resource });
      const requested = scope ?? scopes.filter((s) => !OIDC_ONLY_SCOPES.has(s)).join(' ');
      if (requested) body.set('scope', requested);
      const res = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${TEST_SERVICE_CLIENT_ID}:${TEST_SERVICE_SECRET}`).toString('base64')}`,
        },
        body,
      });
      const json = (await res.json()) as { access_token?: string; error?: string; error_description?: string };
      if (!res.ok || !json.access_token) {
        throw new Error(`client_credentials failed: ${res.status} ${json.error ?? ''} ${json.error_description ?? ''}`.trim());
      }
      return json.access_token;
    },

    async loginAndConsent(authorizationUrl, user = 'alice') {
      const idpOrigin = new URL(issuer).origin;
      const jar = new CookieJar();
      let url = new URL(authorizationUrl);
      let method = 'GET';
      let body: URLSearchParams | undefined;
      for (let hop = 0; hop < 25; hop++) {
        if (url.origin !== idpOrigin) return url;
        const cookie = jar.header(url);
        const res = await fetch(url, {
          method,
          redirect: 'manual',
          headers: {
            ...(cookie ? { cookie } : {}),
            ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
          },
          ...(body ? { body } : {}),
        });
        jar.store(url, res.headers.getSetCookie());
        const location = res.headers.get('location');
        if (res.status >= 300 && res.status < 400 && location) {
          await res.body?.cancel();
          url = new URL(location, url);
          method = 'GET';
          body = undefined;
          continue;
        }
        const text = await res.text();
        if (res.status !== 200) {
          throw new Error(`authorization failed at ${url.pathname}: HTTP ${res.status}: ${htmlText(text)}`);
        }
        const forms = parseForms(text);
        const form = forms.find((f) => f.id === 'login') ?? forms.find((f) => f.id === 'consent');
        if (!form) throw new Error(`no login or consent form at ${url.pathname}: ${text.slice(0, 500)}`);
        const fields = new URLSearchParams([...form.fields]);
        if (form.id === 'login') {
          fields.set('login', user);
          fields.set('password', 'any');
        }
        url = new URL(form.action, url);
        method = form.method;
        body = fields;
      }
      throw new Error('too many redirects during the authorization request');
    },

    async rotateKeys() {
      keys = [await newSigningKey(), ...keys];
      buildProvider();
    },

    async stop() {
      await stopServer();
    },

    async start() {
      if (closed) throw new Error('the test IdP is closed');
      if (server) return;
      server = await listen(port);
    },

    async close() {
      closed = true;
      await stopServer();
      provider = undefined;
      providerHandler = undefined;
      store.clear();
    },
  };
}
