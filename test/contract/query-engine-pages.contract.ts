import { describe, expect, it } from 'vitest';
import { isDomainError } from '../../src/domain/errors.ts';
import type { Row } from '../../src/domain/model.ts';
import type { QueryEngine, QueryEvent, RowPosition } from '../../src/ports/query-engine.ts';

/** An ordered result of several engine pages (two on Trino 476: 8,079 and 6,921 rows; one page if only orderkey is selected). */
export const PAGED_SQL = 'SELECT * FROM tpch.tiny.orders ORDER BY orderkey';
export const PAGED_ROWS = 15_000;

export interface PagesSubject {
  readonly engine: QueryEngine;
  /** How the engine ended the query: 'FINISHED', or 'CANCELLED' (polling as needed). */
  settled(queryId: string): Promise<'FINISHED' | 'CANCELLED' | 'OTHER'>;
}

const principal = { subject: 'contract', scopes: [], via: 'test' };
const never = new AbortController().signal;

interface Stop {
  readonly queryId: string;
  readonly rows: Row[];
  /** Where the first unread row is: its page and its index there. */
  readonly at?: RowPosition;
}

/** Reads `events` until `take` rows were kept, then stops (return()), remembering where the next row is. */
async function readUntil(events: AsyncIterable<QueryEvent>, take: number): Promise<Stop> {
  let queryId = '';
  const rows: Row[] = [];
  for await (const e of events) {
    if (e.kind === 'started') queryId = e.queryId;
    if (e.kind !== 'rows') continue;
    const room = take - rows.length;
    rows.push(...e.rows.slice(0, room));
    if (e.rows.length > room) {
      expect(e.at?.page).toBeTypeOf('string');
      return { queryId, rows, at: { page: e.at!.page, skip: e.at!.skip + room } };
    }
  }
  return { queryId, rows };
}

async function failure(run: Promise<unknown>) {
  try {
    await run;
  } catch (err) {
    if (isDomainError(err)) return err;
    throw err;
  }
  throw new Error('expected a DomainError');
}

/** The paging part of the QueryEngine contract (keepOpen, resume, cancel), written once for every engine. */
export function queryEnginePagesContract(name: string, subject: () => PagesSubject): void {
  describe(`QueryEngine pages contract: ${name}`, () => {
    it('a query kept open resumes at a row of a page, within the page and across pages, to the end: no row lost or repeated', async () => {
      const s = subject();
      // 5,000 rows a stop: one stop falls inside a page, the next one in the following page.
      let stop = await readUntil(s.engine.run({ sql: PAGED_SQL, principal, keepOpen: true }, never), 5_000);
      const all = [...stop.rows];
      const queryId = stop.queryId;
      while (stop.at) {
        stop = await readUntil(s.engine.resume({ principal, queryId, at: stop.at, keepOpen: true }, never), 5_000);
        expect(stop.queryId).toBe(queryId);
        all.push(...stop.rows);
      }
      expect(all.length).toBe(PAGED_ROWS);
      expect(all.map((r) => Number(r[0]))).toEqual([...all.map((r) => Number(r[0]))].sort((a, b) => a - b));
      expect(new Set(all.map((r) => r[0])).size).toBe(PAGED_ROWS);
      expect(await s.settled(queryId)).toBe('FINISHED');
    });

    it('a position may be read again until the stream moves past its page; then it is CURSOR_EXPIRED', async () => {
      const s = subject();
      const first = await readUntil(s.engine.run({ sql: PAGED_SQL, principal, keepOpen: true }, never), 10);
      const again = await readUntil(s.engine.resume({ principal, queryId: first.queryId, at: first.at!, keepOpen: true }, never), 10);
      const twice = await readUntil(s.engine.resume({ principal, queryId: first.queryId, at: first.at!, keepOpen: true }, never), 10);
      expect(twice.rows).toEqual(again.rows);
      // Read on into the next page, which makes the engine drop the first.
      const on = await readUntil(s.engine.resume({ principal, queryId: first.queryId, at: first.at!, keepOpen: true }, never), 10_000);
      expect(on.at?.page).not.toBe(first.at!.page);
      const stale = await failure(readUntil(s.engine.resume({ principal, queryId: first.queryId, at: first.at! }, never), 10));
      expect(stale.code).toBe('CURSOR_EXPIRED');
      await s.engine.cancel(principal, first.queryId);
    });

    it('cancel ends a query kept open; resuming it then is CURSOR_EXPIRED by the next page at the latest', async () => {
      const s = subject();
      const first = await readUntil(s.engine.run({ sql: PAGED_SQL, principal, keepOpen: true }, never), 10);
      await s.engine.cancel(principal, first.queryId);
      expect(await s.settled(first.queryId)).toBe('CANCELLED');
      // Trino still answers the page it holds after a cancel, then the cancel: past that page the result is gone.
      const err = await failure(readUntil(s.engine.resume({ principal, queryId: first.queryId, at: first.at! }, never), 10_000));
      expect(err.code).toBe('CURSOR_EXPIRED');
    });

    it('without keepOpen, stopping early still cancels; a resumed stream stopped without keepOpen is cancelled too', async () => {
      const s = subject();
      const plain = await readUntil(s.engine.run({ sql: PAGED_SQL, principal }, never), 10);
      expect(await s.settled(plain.queryId)).toBe('CANCELLED');
      const kept = await readUntil(s.engine.run({ sql: PAGED_SQL, principal, keepOpen: true }, never), 10);
      await readUntil(s.engine.resume({ principal, queryId: kept.queryId, at: kept.at! }, never), 10);
      expect(await s.settled(kept.queryId)).toBe('CANCELLED');
    });
  });
}
