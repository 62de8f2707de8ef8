import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiscoveryError, discoverProvider, type ProviderMetadata } from '../../src/adapters/auth/oidc-discovery.ts';
import { ProviderMetadataCache } from '../../src/adapters/http/oauth-routes.ts';

const doc = (issuer: string, n = 0): ProviderMetadata => ({ issuer, jwks_uri: `${issuer}/jwks`, n });

describe('ProviderMetadataCache (injected clock and discovery)', () => {
  function setup(initial?: ProviderMetadata) {
    let now = 1_000_000;
    let answers: Array<ProviderMetadata | Error> = [];
    const asked: number[] = [];
    const cache = new ProviderMetadataCache('https://idp', initial, {
      now: () => now,
      discover: async () => {
        asked.push(now);
        const next = answers.shift();
        if (!next || next instanceof Error) throw next ?? new Error('down');
        return next;
      },
    });
    return { cache, asked, advance: (ms: number) => (now += ms), answer: (...a: Array<ProviderMetadata | Error>) => (answers = a) };
  }

  it('serves the document found at start for an hour without asking again, then refetches', async () => {
    const t = setup(doc('https://idp', 1));
    expect(await t.cache.get()).toMatchObject({ n: 1 });
    t.advance(59 * 60_000);
    expect(await t.cache.get()).toMatchObject({ n: 1 });
    expect(t.asked).toEqual([]);
    t.answer(doc('https://idp', 2));
    t.advance(2 * 60_000);
    expect(await t.cache.get()).toMatchObject({ n: 2 });
    expect(t.asked).toHaveLength(1);
  });

  it('serves the stale copy while the provider is down, and waits 30 s before asking again', async () => {
    const t = setup(doc('https://idp', 1));
    t.advance(61 * 60_000);
    t.answer(new Error('down'));
    expect(await t.cache.get()).toMatchObject({ n: 1 });
    t.advance(10_000);
    expect(await t.cache.get()).toMatchObject({ n: 1 });
    expect(t.asked).toHaveLength(1);
    t.advance(21_000);
    t.answer(doc('https://idp', 3));
    expect(await t.cache.get()).toMatchObject({ n: 3 });
    expect(t.asked).toHaveLength(2);
  });

  it('with no copy at all, a provider that is down is an error (the route answers 503)', async () => {
    const t = setup();
    t.answer(new Error('down'));
    await expect(t.cache.get()).rejects.toThrow();
  });
});

describe('discoverProvider errors are typed', () => {
  let server: Server;
  let base = '';
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/wrong/.well-known/openid-configuration') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ issuer: 'https://someone.else' }));
        return;
      }
      res.statusCode = 404;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('a document naming another issuer → issuer_mismatch', async () => {
    const err = await discoverProvider(`${base}/wrong`, 2_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiscoveryError);
    expect((err as DiscoveryError).code).toBe('issuer_mismatch');
  });

  it('no well-known URL answers → no_metadata', async () => {
    const err = await discoverProvider(`${base}/none`, 2_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiscoveryError);
    expect((err as DiscoveryError).code).toBe('no_metadata');
  });
});
