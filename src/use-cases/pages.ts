import { DomainError, isDomainError } from '../domain/errors.ts';
import { userKey, type Principal, type TabularResult } from '../domain/model.ts';
import type { CursorCodec, PageCursor } from '../ports/cursor-codec.ts';
import type { QueryEngine, RowPosition } from '../ports/query-engine.ts';
import { readEvents, type Call, type ReadPage } from './call.ts';

/** A tabular result, and the cursor of its next page when more rows exist and can be read. */
export type PagedResult = TabularResult & { readonly cursor?: string };

export interface PagesSettings {
  /** TRINO_CURSOR_TTL: how long the pages of one result can be read, from its first page. */
  readonly ttlMs: number;
  /** Results kept open at once per user on this process; a further one ends the oldest. */
  readonly maxOpenPerUser: number;
}

/** The clock and timers of the pages; tests give their own to step past the TTL. */
export interface PagesClock {
  now(): number;
  /** Runs `fn` after `ms`, without keeping the process alive; returns how to call it off. */
  after(ms: number, fn: () => void): () => void;
}

export const systemClock: PagesClock = {
  now: () => Date.now(),
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    t.unref();
    return () => clearTimeout(t);
  },
};

interface OpenResult {
  readonly principal: Principal;
  readonly expiresAt: number;
  readonly stopTimer: () => void;
}

/**
 * The results this process keeps open for later pages. A cursor carries everything needed
 * to continue (any process with the same key can), so what is kept here is only what bounds
 * Trino's work: each open query is cancelled when its TTL passes, and a user has at most
 * `maxOpenPerUser` open at once on this process (the oldest is cancelled for a new one).
 */
export class ResultPages {
  private readonly open = new Map<string, OpenResult>();
  /**
   * Results that ended here (read to the end, cancelled, evicted), until their cursors expire
   * anyway: Trino still answers the page it holds after a cancel, so without this an evicted
   * cursor would read on to the end of its page.
   */
  private readonly ended = new Map<string, number>();

  constructor(
    private readonly engine: QueryEngine,
    private readonly codec: CursorCodec,
    private readonly settings: PagesSettings,
    private readonly clock: PagesClock = systemClock,
  ) {}

  /** The expiry of a result whose first page is read now. */
  firstPageExpiry(): number {
    return this.clock.now() + this.settings.ttlMs;
  }

  /** Keeps the query open and returns the cursor of its next page. */
  async issue(principal: Principal, queryId: string, at: RowPosition, pageRows: number, expiresAt: number): Promise<string> {
    this.track(principal, queryId, expiresAt);
    return this.codec.seal({ queryId, at, owner: userKey(principal), expiresAt, pageRows });
  }

  /**
   * Reads a cursor for `principal`: CURSOR_INVALID unless this server issued it to them,
   * CURSOR_EXPIRED (and the query cancelled) past its TTL.
   */
  async read(token: string, principal: Principal): Promise<PageCursor> {
    const cursor = await this.codec.open(token);
    // The same answer as a forged one: another caller learns nothing from a cursor not theirs.
    if (cursor.owner !== userKey(principal)) throw new DomainError('CURSOR_INVALID', 'This is not a cursor this server issued.');
    if (this.clock.now() >= cursor.expiresAt) {
      await this.end(principal, cursor.queryId);
      throw new DomainError('CURSOR_EXPIRED', 'This cursor is past its time (TRINO_CURSOR_TTL); its query was cancelled.', {
        queryId: cursor.queryId,
      });
    }
    if (this.ended.has(cursor.queryId)) {
      throw new DomainError(
        'CURSOR_EXPIRED',
        'This result has ended: it was read to the end, or cancelled to make room for newer results of yours.',
        { queryId: cursor.queryId },
      );
    }
    return cursor;
  }

  /** The query reached its end (or Trino dropped it): nothing left to cancel, and its cursors are done. */
  forget(queryId: string): void {
    const open = this.open.get(queryId);
    open?.stopTimer();
    this.open.delete(queryId);
    this.ended.set(queryId, open?.expiresAt ?? this.clock.now() + this.settings.ttlMs);
  }

  /** Cancels a query kept open and forgets it. */
  async end(principal: Principal, queryId: string): Promise<void> {
    this.forget(queryId);
    await this.engine.cancel(principal, queryId);
  }

  private track(principal: Principal, queryId: string, expiresAt: number): void {
    const now = this.clock.now();
    for (const [id, until] of this.ended) if (until <= now) this.ended.delete(id);
    if (this.open.has(queryId)) return;
    const user = userKey(principal);
    const mine = [...this.open].filter(([, r]) => userKey(r.principal) === user);
    // Map order is insertion order: the first is the oldest.
    for (const [oldest, r] of mine.slice(0, Math.max(0, mine.length - this.settings.maxOpenPerUser + 1))) {
      void this.end(r.principal, oldest);
    }
    const stopTimer = this.clock.after(Math.max(0, expiresAt - this.clock.now()), () => void this.end(principal, queryId));
    this.open.set(queryId, { principal, expiresAt, stopTimer });
  }

  /** Queries this process keeps open, for tests and shutdown. */
  get openQueries(): string[] {
    return [...this.open.keys()];
  }
}

/**
 * Turns a read that kept its query open into a paged result: a cursor when a later page can
 * continue at the first unread row, else the query is cancelled (a stop without a position,
 * or a first row larger than the budget, which no later page could pass either).
 */
export async function pageOf(
  read: ReadPage,
  call: Call,
  pages: ResultPages,
  pageRows: number,
  expiresAt: number,
): Promise<PagedResult> {
  const { result, next } = read;
  const queryId = result.queryId;
  if (!result.truncated || !queryId) {
    if (queryId) pages.forget(queryId);
    return result;
  }
  if (!next || result.rowCount === 0) {
    await pages.end(call.principal, queryId);
    return result;
  }
  return { ...result, cursor: await pages.issue(call.principal, queryId, next, pageRows, expiresAt) };
}

/** fetch_more: the next page of a result, as the cursor says, for the caller it was issued to. */
export async function fetchPage(
  args: { cursor: string; limit?: number | undefined },
  call: Call,
  deps: { engine: QueryEngine; pages: ResultPages; limits: { maxRows: number; maxBytes: number; maxValueBytes: number } },
): Promise<PagedResult> {
  const cursor = await deps.pages.read(args.cursor, call.principal);
  const maxRows = Math.min(args.limit ?? cursor.pageRows, deps.limits.maxRows);
  try {
    const read = await readEvents(
      (signal) => deps.engine.resume({ principal: call.principal, queryId: cursor.queryId, at: cursor.at, keepOpen: true }, signal),
      call,
      { ...deps.limits, maxRows },
    );
    return await pageOf(read, call, deps.pages, maxRows, cursor.expiresAt);
  } catch (err) {
    if (isDomainError(err) && err.code === 'CURSOR_EXPIRED') deps.pages.forget(cursor.queryId);
    throw err;
  }
}
