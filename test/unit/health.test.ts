import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import { healthRoutes, keysProbe, trinoProbe, type HealthSettings } from '../../src/adapters/http/health.ts';
import { CapturingLogger } from '../fakes/capturing-logger.ts';
import { InMemoryQueryEngine } from '../fakes/in-memory-query-engine.ts';

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

async function serve(settings: HealthSettings): Promise<string> {
  const app = new Koa();
  const router = new Router();
  healthRoutes(router, settings);
  app.use(router.routes());
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  close = () => new Promise((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const PRINCIPAL = { subject: 'trino', scopes: [], via: 'readyz' };

describe('/healthz and /readyz', () => {
  it('/healthz answers 200 whatever the probes say: a Trino outage must not restart the process', async () => {
    const base = await serve({ version: '1.2.3', probes: { trino: async () => 'trino_unreachable' } });
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', version: '1.2.3' });
  });

  it('/readyz is 200 when every probe passes and 503 with a JSON reason naming each failing check', async () => {
    const base = await serve({ version: '1', probes: { trino: async () => undefined, keys: async () => 'no_signing_keys' } });
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(503);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ status: 'not_ready', reason: 'keys: no_signing_keys', checks: { trino: 'ok', keys: 'no_signing_keys' } });
    await close!();
    const ready = await serve({ version: '1', probes: { trino: async () => undefined } });
    const ok = await fetch(`${ready}/readyz`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ status: 'ready', checks: { trino: 'ok' } });
  });

  it('a probe that throws fails closed (503), without its message', async () => {
    const base = await serve({ version: '1', probes: { trino: () => Promise.reject(new Error('secret detail')) } });
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ checks: { trino: 'probe_failed' } });
    expect(text).not.toContain('secret detail');
  });

  it('a flood of /readyz runs the probes once per period, not once per request', async () => {
    let runs = 0;
    let t = 0;
    const base = await serve({ version: '1', cacheMs: 1_000, now: () => t, probes: { trino: async () => void runs++ } });
    const answers = await Promise.all(Array.from({ length: 50 }, () => fetch(`${base}/readyz`).then((r) => r.status)));
    expect(answers.every((s) => s === 200)).toBe(true);
    expect(runs).toBe(1);
    t = 1_000;
    await fetch(`${base}/readyz`);
    expect(runs).toBe(2);
  });
});

describe('probes', () => {
  it('trinoProbe: ready when Trino answers SELECT 1; unreachable, error or timeout otherwise', async () => {
    const log = new CapturingLogger();
    const engine = new InMemoryQueryEngine().define('SELECT 1', { columns: [{ name: '_col0', type: 'integer' }], rows: [[1]] });
    expect(await trinoProbe(engine, PRINCIPAL, 1_000, log)()).toBeUndefined();
    expect(await trinoProbe(new InMemoryQueryEngine().define('SELECT 1', { unavailable: true }), PRINCIPAL, 1_000, log)()).toBe('trino_unreachable');
    expect(await trinoProbe(new InMemoryQueryEngine(), PRINCIPAL, 1_000, log)()).toBe('trino_error');
    const hanging = new InMemoryQueryEngine().define('SELECT 1', { hang: true });
    expect(await trinoProbe(hanging, PRINCIPAL, 20, log)()).toBe('trino_timeout');
    expect(hanging.cancelled).toHaveLength(1); // the probe's query does not stay behind
  });

  it('keysProbe: no keys is not ready', async () => {
    expect(await keysProbe(async () => true)()).toBeUndefined();
    expect(await keysProbe(async () => false)()).toBe('no_signing_keys');
  });
});
