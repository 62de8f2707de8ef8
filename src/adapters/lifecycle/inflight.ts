import type { Logger } from '../../ports/logger.ts';

/** How long aborted work gets to wind down (its Trino queries to be cancelled) before the process goes. */
const AFTER_ABORT_MS = 5_000;

/**
 * Work in flight (HTTP requests, tool calls), each with an abort controller: the one
 * draining mechanism of both transports.
 */
export class Inflight {
  private readonly controllers = new Set<AbortController>();
  private idle: (() => void) | undefined;

  /** Tracks one unit of work; `done` is idempotent. */
  track(): { controller: AbortController; done: () => void } {
    const controller = new AbortController();
    this.controllers.add(controller);
    let finished = false;
    return {
      controller,
      done: () => {
        if (finished) return;
        finished = true;
        this.controllers.delete(controller);
        if (this.controllers.size === 0) this.idle?.();
      },
    };
  }

  get size(): number {
    return this.controllers.size;
  }

  /** Resolves when nothing is in flight, or after `ms`; returns whether it drained. */
  async drain(ms: number): Promise<boolean> {
    if (this.controllers.size === 0) return true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.idle = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  }

  abortAll(reason: string): void {
    for (const c of this.controllers) c.abort(new Error(reason));
  }

  /**
   * Shutdown: lets the work finish for up to `graceMs`, then aborts what is left (its
   * Trino queries are cancelled and its callers get CANCELLED) and waits a moment for that.
   */
  async shutdown(graceMs: number, log: Logger): Promise<void> {
    if (await this.drain(graceMs)) return;
    // `requests`: the field name operators' log queries already use (HTTP requests, or tool calls over stdio).
    log.warn('aborting work still in flight after the grace period', { requests: this.size, graceMs });
    this.abortAll('server shutting down');
    await this.drain(AFTER_ABORT_MS);
  }
}
