import { DomainError } from '../../domain/errors.ts';
import { TrinoHttpError } from './trino-errors.ts';
import type { TrinoPage } from './trino-responses.ts';

/**
 * Result pages on Trino's protocol: every response carries `data` and the `nextUri` of the
 * next one, and Trino keeps the current token's response until the next token is requested
 * (GET of the same URI answers the same rows again; once the next one was requested it
 * answers 410 Gone). A page's URI is therefore a position a later call can resume from, on
 * any process, as long as nothing asked for the following page.
 */

/** Only Trino's own statement pages on the configured coordinator are fetched from a cursor, never another address. */
export function isStatementPage(page: string, origin: string): boolean {
  if (!URL.canParse(page)) return false;
  const u = new URL(page);
  return u.origin === origin && u.username === '' && u.password === '' && u.pathname.startsWith('/v1/statement/');
}

/** Trino answers a page it no longer holds with 404 (query unknown) or 410 (read past). */
export function isGone(err: unknown): boolean {
  return err instanceof TrinoHttpError && (err.status === 404 || err.status === 410);
}

/** A resumed query that ended on Trino meanwhile: cancelled (by expiry or eviction) or abandoned by Trino's client timeout. */
export function endedMeanwhile(page: TrinoPage): boolean {
  const name = page.error?.errorName;
  return name === 'USER_CANCELED' || name === 'ABANDONED_QUERY';
}

export function goneError(queryId: string): DomainError {
  return new DomainError(
    'CURSOR_EXPIRED',
    'Trino no longer holds the rest of this result: it was read past, finished, cancelled, or abandoned by Trino (query.client.timeout).',
    { queryId },
  );
}
