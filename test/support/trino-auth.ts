/**
 * The authentication side of the test Trino (test/harness/trino-auth-etc.ts): its HTTPS
 * address, the test PKI, tokens from the test Keycloak and from the realm's own key, and
 * Keycloak's event log (how the tests see that a token was obtained again).
 */
import { readFileSync } from 'node:fs';
import { SignJWT, importPKCS8 } from 'jose';
import { inject } from 'vitest';
import { adminToken, REALM } from '../harness/keycloak-server.ts';
import { ensurePki, type TestPki } from '../harness/test-pki.ts';
import type { TrinoAuthSetup } from '../harness/trino-server.ts';
import { TRINO_AUDIENCE } from '../harness/trino-auth-etc.ts';
import { serverEnv } from './processes.ts';

export function authSetup(): TrinoAuthSetup {
  const auth = inject('trinoAuth');
  if (!auth) throw new Error('the authentication tests need the Trino this harness starts (not TRINO_URL or a container): it serves HTTPS and checks credentials');
  return auth;
}

export function pki(): TestPki {
  return ensurePki(authSetup().pkiDir);
}

/** The server's environment for Trino's HTTPS port, the test CA trusted. */
export function httpsEnv(extra: Record<string, string> = {}): Record<string, string> {
  const url = new URL(authSetup().httpsUrl);
  return serverEnv({ TRINO_HOST: url.hostname, TRINO_PORT: url.port, TRINO_SCHEME: 'https', TRINO_SSL_CA_FILE: pki().caFile, TRINO_USER: '', ...extra });
}

/** A JWT Trino accepts, signed with the realm's key (as Keycloak would sign it), for `user`. */
export async function realmSignedToken(user: string, claims: Record<string, unknown> = {}, key = pki().jwtKeyFile): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload = { iss: authSetup().issuer, aud: TRINO_AUDIENCE, sub: `sub-${user}`, preferred_username: user, iat: now, exp: now + 300, ...claims };
  return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: 'test-rsa' }).sign(await importPKCS8(readFileSync(key, 'utf8'), 'RS256'));
}

/** A Keycloak user's access token from the public `mcp-client` (password grant): audience trino-mcp. */
export async function userToken(username: string, password: string): Promise<string> {
  const res = await fetch(`${authSetup().issuer}/protocol/openid-connect/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'password', client_id: 'mcp-client', username, password, scope: 'openid' }),
  });
  if (!res.ok) throw new Error(`Keycloak refused the password grant for ${username}: HTTP ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

async function admin(path: string, init: RequestInit = {}): Promise<Response> {
  const { keycloakUrl } = authSetup();
  const token = await adminToken(keycloakUrl);
  return fetch(`${keycloakUrl}/admin/realms/${REALM}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) } });
}

export async function userId(username: string): Promise<string> {
  const res = await admin(`/users?username=${encodeURIComponent(username)}&exact=true`);
  const [user] = (await res.json()) as Array<{ id: string }>;
  if (!user) throw new Error(`no Keycloak user ${username}`);
  return user.id;
}

/** Ends every Keycloak session of `username`: its tokens still verify, but Keycloak will not exchange them. */
export async function logoutEverywhere(username: string): Promise<void> {
  const res = await admin(`/users/${await userId(username)}/logout`, { method: 'POST' });
  if (res.status !== 204) throw new Error(`Keycloak logout of ${username} answered HTTP ${res.status}`);
}

/** How many tokens Keycloak issued by `type` (CLIENT_LOGIN, TOKEN_EXCHANGE) to `client`, for `user` when given. */
export async function issuedCount(type: 'CLIENT_LOGIN' | 'TOKEN_EXCHANGE', client: string, user?: string): Promise<number> {
  const q = new URLSearchParams({ type, client, max: '1000' });
  if (user) q.set('user', await userId(user));
  const res = await admin(`/events?${q}`);
  if (!res.ok) throw new Error(`Keycloak events answered HTTP ${res.status}`);
  return ((await res.json()) as unknown[]).length;
}
