import type Router from '@koa/router';
import type { Context } from 'koa';
import { isDomainError } from '../../domain/errors.ts';
import type { Principal } from '../../domain/model.ts';
import type { Logger } from '../../ports/logger.ts';
import type { QueryEngine } from '../../ports/query-engine.ts';

/** One readiness check: resolves with undefined when ready, else with a short reason code. */
export type ReadinessProbe = () => Promise<string | undefined>;

export interface HealthSettings {
  readonly version: string;
  /** Checked in parallel by /readyz, by name. */
  readonly probes: Readonly<Record<string, ReadinessProbe>>;
  /**
   * How long one answer of /readyz is reused. /readyz needs no token, so without this anyone
   * could turn a flood of probes into a flood of Trino queries; with it, at most one probe
   * round runs per period, however many requests arrive.
   */
  readonly cacheMs?: number | undefined;
  readonly now?: (() => number) | undefined;
}

const DEFAULT_CACHE_MS = 2_000;

interface Readiness {
  readonly ready: boolean;
  readonly checks: Record<string, string>;
}

/**
 * /healthz: the process is up and answers (liveness; no dependency checked, so a Trino outage
 * never gets the pod restarted). /readyz: every probe passes (200), else 503 with the reason
 * of each failing check as a code. Details of a failure go to the log, not to the
 * unauthenticated caller.
 */
export function healthRoutes(router: Router, settings: HealthSettings): void {
  const now = settings.now ?? Date.now;
  const cacheMs = settings.cacheMs ?? DEFAULT_CACHE_MS;
  let last: { at: number; answer: Promise<Readiness> } | undefined;

  const check = async (): Promise<Readiness> => {
    const entries = Object.entries(settings.probes);
    const results = await Promise.all(entries.map(([, probe]) => probe().catch(() => 'probe_failed')));
    const checks: Record<string, string> = {};
    entries.forEach(([name], i) => (checks[name] = results[i] ?? 'ok'));
    return { ready: results.every((r) => r === undefined), checks };
  };

  router.get(['/status', '/healthz'], (ctx: Context) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok', version: settings.version };
  });
  router.get('/readyz', async (ctx: Context) => {
    const t = now();
    if (!last || t - last.at >= cacheMs) last = { at: t, answer: check() };
    const { ready, checks } = await last.answer;
    ctx.set('Cache-Control', 'no-store');
    ctx.status = ready ? 200 : 503;
    const failing = Object.entries(checks).filter(([, v]) => v !== 'ok');
    ctx.body = ready ? { status: 'ready', checks } : { status: 'not_ready', reason: failing.map(([k, v]) => `${k}: ${v}`).join('; '), checks };
  });
}

/**
 * Trino answers a trivial query with the server's own credentials, within `timeoutMs`: the
 * same connection settings, TLS and authentication the tool calls use.
 */
export function trinoProbe(engine: QueryEngine, principal: Principal, timeoutMs: number, log: Logger): ReadinessProbe {
  return async () => {
    try {
      for await (const event of engine.run({ sql: 'SELECT 1', principal }, AbortSignal.timeout(timeoutMs))) void event;
      return undefined;
    } catch (err) {
      const code = isDomainError(err) ? err.code : 'INTERNAL';
      log.warn('readiness: Trino does not answer', { code, error: (err as Error).message });
      return code === 'ENGINE_UNAVAILABLE' ? 'trino_unreachable' : code === 'CANCELLED' ? 'trino_timeout' : 'trino_error';
    }
  };
}

/** With OAuth over JWKS, the verifier holds the provider's signing keys. */
export function keysProbe(holdsKeys: () => Promise<boolean>): ReadinessProbe {
  return async () => ((await holdsKeys()) ? undefined : 'no_signing_keys');
}
