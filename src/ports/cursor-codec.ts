import type { RowPosition } from './query-engine.ts';

/** What a result cursor says: where the rest of a kept-open query's result is, whose it is, until when. */
export interface PageCursor {
  readonly queryId: string;
  readonly at: RowPosition;
  /** userKey of the principal it was issued to: only that caller may use it. */
  readonly owner: string;
  /** When it stops being valid (ms since the epoch): the first page's time plus TRINO_CURSOR_TTL, for every page of the result. */
  readonly expiresAt: number;
  /** The row cap of the call that opened the result: the next pages have the same size unless a call asks for fewer. */
  readonly pageRows: number;
}

/**
 * Turns cursors into opaque strings and back. A string is authenticated and encrypted, so
 * any process holding the same key can read what another issued, and nobody can forge or
 * alter one, or read the Trino address inside it. `open` of anything else (forged, altered,
 * truncated, another key's) throws `DomainError('CURSOR_INVALID')`.
 */
export interface CursorCodec {
  seal(cursor: PageCursor): Promise<string>;
  open(token: string): Promise<PageCursor>;
}
export const CursorCodec = Symbol.for('CursorCodec');
