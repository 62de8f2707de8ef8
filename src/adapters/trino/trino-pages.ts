import { Iterator, QueryIterator, type QueryResult, type Trino } from 'trino-client';
import { DomainError } from '../../domain/errors.ts';

/**
 * Result pages on Trino's protocol: every response carries `data` and the `nextUri` of the
 * next one, and Trino keeps the current token's response until the next token is requested
 * (GET of the same URI answers the same rows again; once the next one was requested it
 * answers 410 Gone). A page's URI is therefore a position a later call can resume from, on
 * any process, as long as nothing asked for the following page.
 */

/**
 * Records the URI of the latest GET the client sent: the one that produced the page the
 * iterator just returned. trino-client skips empty pages inside one `next()`, so the URI
 * before the call is not always the page's own. It has no hook for this: its Client
 * instance's request method is wrapped (trino-client is pinned; test/contract pages through
 * real Trino and fails if this moves).
 */
export function recordPageUris(trino: Trino): { readonly last: () => string | undefined } {
  let last: string | undefined;
  const client = (trino as unknown as { client?: { request?: (cfg: { url?: string; method?: string }) => Promise<unknown> } }).client;
  const original = client?.request?.bind(client);
  if (client && original) {
    client.request = (cfg) => {
      if ((cfg.method ?? 'GET').toUpperCase() === 'GET' && typeof cfg.url === 'string') last = cfg.url;
      return original(cfg);
    };
  }
  return { last: () => last };
}

/** An iterator over a query's pages that starts by fetching `page` again. */
export function iteratorAt(trino: Trino, queryId: string, page: string): Iterator<QueryResult> {
  const client = (trino as unknown as { client: ConstructorParameters<typeof QueryIterator>[0] }).client;
  return new Iterator(new QueryIterator(client, { id: queryId, nextUri: page } as QueryResult));
}

/** Only Trino's own statement pages are fetched from a cursor, never another address. */
export function isStatementPage(page: string): boolean {
  if (!URL.canParse(page)) return false;
  const u = new URL(page);
  return /^https?:$/.test(u.protocol) && u.username === '' && u.password === '' && u.pathname.startsWith('/v1/statement/');
}

/** Trino answers a page it no longer holds with 404 (query unknown) or 410 (read past). */
export function isGone(err: unknown): boolean {
  const status = (err as { response?: { status?: number } }).response?.status;
  return status === 404 || status === 410;
}

/** A resumed query that ended on Trino meanwhile: cancelled (by expiry or eviction) or abandoned by Trino's client timeout. */
export function endedMeanwhile(result: QueryResult): boolean {
  const name = result.error?.errorName;
  return name === 'USER_CANCELED' || name === 'ABANDONED_QUERY';
}

export function goneError(queryId: string): DomainError {
  return new DomainError(
    'CURSOR_EXPIRED',
    'Trino no longer holds the rest of this result: it was read past, finished, cancelled, or abandoned by Trino (query.client.timeout).',
    { queryId },
  );
}
