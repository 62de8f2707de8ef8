/**
 * The pure parts of the HTTP edge's limits: stream slots, JSON-RPC body reading, the gate
 * shared by /mcp and /messages (in-process Koa), Node's timeout options, and a session
 * server that runs each call as the principal of the POST that carried it.
 */
import 'reflect-metadata';
import { createServer, type Server } from 'node:http';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport, type AuthInfo, type CallToolResult } from '@modelcontextprotocol/server';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverTimeouts } from '../../src/adapters/http/lifecycle.ts';
import { rpcBody, rpcGate } from '../../src/adapters/http/rpc-gate.ts';
import { StreamSlots } from '../../src/adapters/http/stream-slots.ts';
import { Access } from '../../src/domain/access.ts';
import type { Principal } from '../../src/domain/model.ts';
import { SqlQueryPolicy } from '../../src/domain/policy.ts';
import type { QuerySettings } from '../../src/use-cases/call.ts';
import { CapturingLogger } from '../fakes/capturing-logger.ts';
import { InMemoryQueryEngine } from '../fakes/in-memory-query-engine.ts';
import { mcpServerOver, useCasesOver, unitSettings } from './support/mcp-server.ts';

describe('StreamSlots', () => {
  it('refuses a principal over its share, then the server over its total, and frees a slot on release', () => {
    const slots = new StreamSlots({ total: 3, perUser: 2 });
    const a1 = slots.acquire('alice');
    const a2 = slots.acquire('alice');
    expect([a1.ok, a2.ok]).toEqual([true, true]);
    expect(slots.acquire('alice')).toEqual({ ok: false, refusal: 'per_user' });
    expect(slots.acquire('bob').ok).toBe(true);
    expect(slots.acquire('carol')).toEqual({ ok: false, refusal: 'total' });
    // Alice at her share and the server full: her own share is what she is told about.
    expect(slots.acquire('alice')).toEqual({ ok: false, refusal: 'per_user' });
    if (!a1.ok) throw new Error('unreachable');
    a1.release();
    expect(slots.open('alice')).toBe(1);
    expect(slots.acquire('carol').ok).toBe(true);
  });

  it('frees a slot once however often it is released', () => {
    const slots = new StreamSlots({ total: 2, perUser: 2 });
    const a = slots.acquire('alice');
    const b = slots.acquire('alice');
    if (!a.ok || !b.ok) throw new Error('expected two slots');
    a.release();
    a.release();
    expect(slots.open()).toBe(1);
    expect(slots.open('alice')).toBe(1);
    b.release();
    expect(slots.open()).toBe(0);
    expect(slots.open('alice')).toBe(0);
  });
});

describe('rpcBody', () => {
  it('counts every entry of a batch, and keeps only the objects as messages', () => {
    expect(rpcBody('[{"jsonrpc":"2.0","method":"a"}, 1, null, [], {"id":2}]')).toEqual({
      json: true,
      batch: true,
      count: 5,
      messages: [{ jsonrpc: '2.0', method: 'a' }, { id: 2 }],
    });
    expect(rpcBody('{"method":"ping"}')).toEqual({ json: true, batch: false, count: 1, messages: [{ method: 'ping' }] });
    expect(rpcBody('{"method":')).toEqual({ json: false });
  });
});

describe('rpcGate (in-process Koa)', () => {
  const access = new Access({ allowWrites: true, requiredScopes: ['trino:read'], writeScope: 'trino:write' });
  const gate = rpcGate({ access, oauth: true, maxBatchSize: 3, resourceMetadataUrl: () => 'http://127.0.0.1/.well-known/oauth-protected-resource/mcp' });
  let server: Server;
  let url: string;
  beforeAll(async () => {
    const app = new Koa();
    app.use(async (ctx) => {
      ctx.state['principal'] = { subject: 'alice', scopes: ctx.get('X-Scopes').split(' '), via: 'http' } satisfies Principal;
      const chunks: Buffer[] = [];
      for await (const c of ctx.req) chunks.push(c as Buffer);
      const messages = gate(ctx, Buffer.concat(chunks), { strict: ctx.path === '/strict' });
      if (messages) ctx.body = { passed: messages.length };
    });
    server = createServer(app.callback());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const send = async (body: string, { scopes = 'trino:read', path = '/' } = {}) => {
    const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'X-Scopes': scopes }, body });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
  };
  const callOf = (name: string, id = 1) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: { sql: 'SELECT 1' } } });
  const many = (n: number) => JSON.stringify(Array.from({ length: n }, (_, i) => callOf('execute_query', i)));

  it.each([false, true])('refuses a batch over the cap whole, strict=%s (400, -32600, id null); passes one at the cap', async (strict) => {
    const path = strict ? '/strict' : '/';
    const over = await send(many(4), { path });
    expect(over.status).toBe(400);
    expect(over.body).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32600 } });
    expect(await send(many(3), { path })).toMatchObject({ status: 200, body: { passed: 3 } });
  });

  it('counts entries that are not objects toward the cap', async () => {
    expect((await send('[1, 2, 3, {"jsonrpc":"2.0","method":"ping","id":1}]')).status).toBe(400);
  });

  it('leaves a body that is not JSON, or not JSON-RPC, to the SDK; strict, it refuses it', async () => {
    expect(await send('{"jsonrpc":')).toMatchObject({ status: 200, body: { passed: 0 } });
    expect(await send('[]')).toMatchObject({ status: 200, body: { passed: 0 } });
    expect(await send('{"jsonrpc":', { path: '/strict' })).toMatchObject({ status: 400, body: { error: { code: -32700 } } });
    expect(await send('[]', { path: '/strict' })).toMatchObject({ status: 400, body: { error: { code: -32600 } } });
    expect(await send('[{"id":1}, 2]', { path: '/strict' })).toMatchObject({ status: 400, body: { error: { code: -32600 } } });
  });

  it.each([false, true])('answers a write beyond the token, even inside a batch, with the scope challenge (strict=%s)', async (strict) => {
    const body = JSON.stringify([callOf('execute_query', 1), callOf('execute_statement', 2)]);
    const r = await send(body, { path: strict ? '/strict' : '/' });
    expect(r.status).toBe(403);
    expect(r.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(r.headers.get('www-authenticate')).toContain('scope="trino:read trino:write"');
    expect(await send(body, { path: strict ? '/strict' : '/', scopes: 'trino:read trino:write' })).toMatchObject({ status: 200, body: { passed: 2 } });
  });
});

describe('serverTimeouts', () => {
  it('hands Node the three timeouts and checks often enough to keep each bound', () => {
    expect(serverTimeouts({ headersMs: 20_000, requestMs: 60_000, keepAliveMs: 5_000 })).toEqual({
      headersTimeout: 20_000,
      requestTimeout: 60_000,
      keepAliveTimeout: 5_000,
      connectionsCheckingInterval: 1_000,
    });
    expect(serverTimeouts({ headersMs: 1_000, requestMs: 2_000, keepAliveMs: 1_000 }).connectionsCheckingInterval).toBe(250);
  });
});

describe('a session server runs each call as the principal of the POST that carried it', () => {
  const WRITE = 'trino:write';
  const opener: Principal = { subject: 'dana', scopes: ['trino:read', WRITE], via: 'http' };
  const reader: Principal = { subject: 'dana', scopes: ['trino:read'], via: 'http' };
  const settings: QuerySettings = unitSettings({ maxRows: 10 });

  async function session() {
    const access = new Access({ allowWrites: true, requiredScopes: ['trino:read'], writeScope: WRITE });
    const policy = new SqlQueryPolicy({ allowPassthrough: false, allowedTableFunctions: [], allowlist: { catalogs: [], schemas: [], tables: [] }, defaults: {} }, access);
    const engine = new InMemoryQueryEngine().define('INSERT INTO t VALUES 1', { columns: [{ name: 'rows', type: 'bigint' }], rows: [[1]] });
    const log = new CapturingLogger();
    const servers = mcpServerOver({ useCases: useCasesOver(engine, settings, policy), settings, access, log });
    const principals = new WeakMap<AuthInfo, Principal>();
    const server = servers.create({ principal: opener, principalOf: (ctx) => (ctx.http?.authInfo ? principals.get(ctx.http.authInfo) : undefined) });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    // As the SSE edge does: every message goes in with the AuthInfo of its own POST.
    let current: AuthInfo | undefined;
    const send = clientSide.send.bind(clientSide);
    clientSide.send = (message, options) => send(message, { ...options, ...(current ? { authInfo: current } : {}) });
    await server.connect(serverSide);
    const client = new Client({ name: 'unit-test', version: '1.0.0' });
    await client.connect(clientSide);
    const as = (principal: Principal | undefined) => {
      if (!principal) return (current = undefined);
      current = { token: 't', clientId: principal.subject, scopes: [...principal.scopes] };
      principals.set(current, principal);
    };
    const insert = () => client.callTool({ name: 'execute_statement', arguments: { sql: 'INSERT INTO t VALUES 1' } }) as Promise<CallToolResult>;
    return { engine, log, client, as, insert, close: () => client.close() };
  }

  it('offers the opener’s tools, yet refuses a write carried by a read-only token (WRITES_DISABLED), running nothing', async () => {
    const s = await session();
    try {
      expect((await s.client.listTools()).tools.map((t) => t.name)).toContain('execute_statement');
      s.as(reader);
      const r = await s.insert();
      expect(r.isError).toBe(true);
      expect(r.structuredContent).toMatchObject({ code: 'POLICY_DENIED', rule: 'WRITES_DISABLED' });
      expect(s.engine.calls).toEqual([]);
      s.as(opener);
      expect((await s.insert()).isError).toBeFalsy();
      expect(s.engine.calls).toHaveLength(1);
    } finally {
      await s.close();
    }
  });

  it('refuses a call that came with no principal at all (fails closed, not as the opener)', async () => {
    const s = await session();
    try {
      s.as(undefined);
      const r = await s.insert();
      expect(r.structuredContent).toMatchObject({ code: 'INTERNAL' });
      expect(s.engine.calls).toEqual([]);
    } finally {
      await s.close();
    }
  });
});
