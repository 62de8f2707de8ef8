import { inject, injectable } from 'inversify';
import { Trino, type ConnectionOptions, type QueryResult } from 'trino-client';
import { DomainError } from '../../domain/errors.ts';
import type { Column, Principal } from '../../domain/model.ts';
import type { QueryEngine, QueryEvent, QueryRequest, ResumeRequest } from '../../ports/query-engine.ts';
import { endedMeanwhile, goneError, isGone, isStatementPage, iteratorAt, recordPageUris } from './trino-pages.ts';
import { Logger } from '../../ports/logger.ts';
import { asciiJson, clientInfo, sessionUserProblem } from './identity-headers.ts';
import { transformTrinoResponse } from './trino-responses.ts';
import { cancelledError, describeTransportError, isOversized, queryError, transportError, untilAborted } from './trino-failures.ts';

/** How to reach Trino; built by src/app/config from TRINO_* variables. */
export interface TrinoConnection {
  /** e.g. `https://trino.example.com:443` */
  readonly server: string;
  readonly user: string;
  readonly password?: string | undefined;
  /** Verify the server certificate (false only with TRINO_SSL_INSECURE=true). */
  readonly verifyCertificates: boolean;
  /** X-Trino-Source. */
  readonly source: string;
  /** TRINO_IMPERSONATE: the principal's claim becomes the Trino session user. */
  readonly impersonation?: 'preferred_username' | 'email' | 'sub' | undefined;
  /**
   * The largest Trino response read (one page of results, decompressed); DEFAULT_MAX_RESPONSE_BYTES
   * when not given. A larger one is dropped unread and the stream ends with `oversized`:
   * trino-client buffers and parses a whole page at once, and Trino sends one value of any
   * size in one page.
   */
  readonly maxResponseBytes?: number | undefined;
}

export { parseTrinoJson } from './trino-responses.ts';

/**
 * Trino aims at pages of about 1 MB and lets them grow to 8 MB for large rows, so no
 * ordinary page comes near this. A page is held about twice over while it is parsed (the
 * response text, then its values; four times for text past Latin-1), which 16 MiB keeps
 * well inside a small heap.
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

export const TrinoConnection = Symbol.for('TrinoConnection');

const CANCEL_WAIT_MS = 5_000;

/**
 * QueryEngine on trino-client. trino-client 0.2.x has three sharp edges, handled here:
 * - query errors arrive in `result.error` instead of throwing: turned into DomainErrors;
 * - it has no abort or timeout: every wait races the signal, and an abandoned query is
 *   cancelled with DELETE /v1/query/{id};
 * - a client keeps mutable session headers (Set-Session, Set-Catalog, prepared
 *   statements) across queries: each query gets its own client, so nothing leaks
 *   between users' queries.
 */
@injectable()
export class TrinoQueryEngine implements QueryEngine {
  constructor(
    @inject(TrinoConnection) private readonly connection: TrinoConnection,
    @inject(Logger) private readonly log: Logger,
  ) {}

  private get maxResponseBytes(): number {
    return this.connection.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  }

  /** The Trino session user: TRINO_USER, or the caller's claim when impersonating. */
  private sessionUser(request: { readonly principal: Principal }): string {
    const claim = this.connection.impersonation;
    if (!claim) return this.connection.user;
    const p = request.principal;
    const value = claim === 'sub' ? p.subject : claim === 'email' ? p.email : p.username;
    if (!value) {
      throw new DomainError('POLICY_DENIED', `Impersonation needs the "${claim}" claim in your token, and it has none.`, {
        rule: 'IMPERSONATION',
      });
    }
    // Exactly the claim or nothing: a lossy mapping would run distinct callers as one user.
    const problem = sessionUserProblem(value);
    if (problem) {
      const shown = value.length > 64 ? `${asciiJson(value.slice(0, 64))}…` : asciiJson(value);
      throw new DomainError(
        'POLICY_DENIED',
        `Impersonation runs you as your token's "${claim}" claim, and its value ${shown} ${problem}: Trino would not receive it exactly, so nothing was run.`,
        { rule: 'IMPERSONATION' },
      );
    }
    return value;
  }

  private client(request: { readonly principal: Principal; readonly traceToken?: string | undefined }): Trino {
    const c = this.connection;
    const p = request.principal;
    const options: ConnectionOptions = {
      server: c.server,
      source: c.source,
      ...(c.server.startsWith('https:') ? { ssl: { rejectUnauthorized: c.verifyCertificates } } : {}),
      extraHeaders: {
        // TRINO_USER is checked by sessionUserProblem at start-up (src/app/env-schema.ts).
        'X-Trino-User': this.sessionUser(request),
        // trino-client's BasicAuth overwrites X-Trino-User with the login user, which
        // silently turned impersonation off whenever TRINO_PASSWORD was set: the
        // credentials go in their own header instead.
        ...(c.password !== undefined ? { Authorization: `Basic ${Buffer.from(`${c.user}:${c.password}`, 'utf8').toString('base64')}` } : {}),
        // Attribution: who asked, for Trino's query history and event listeners.
        'X-Trino-Client-Info': clientInfo(p),
        'X-Trino-Client-Tags': 'trino-mcp',
        ...(request.traceToken ? { 'X-Trino-Trace-Token': request.traceToken } : {}),
      },
    };
    const trino = Trino.create(options);
    // trino-client parses responses with axios' JSON.parse, which rounds bigint values past
    // ±2^53. Its private axios config is the only place to swap the parser (pinned version,
    // covered by test/contract).
    // The same config carries axios' maxContentLength, which stops reading a response past the
    // bound (test/integration/result-bytes checks both on real Trino).
    const internals = trino as unknown as { client?: { clientConfig?: { transformResponse?: unknown; maxContentLength?: number } } };
    if (internals.client?.clientConfig) {
      internals.client.clientConfig.transformResponse = [transformTrinoResponse];
      internals.client.clientConfig.maxContentLength = this.maxResponseBytes;
    }
    return trino;
  }

  async *run(request: QueryRequest, signal: AbortSignal): AsyncGenerator<QueryEvent> {
    if (signal.aborted) throw cancelledError();
    const trino = this.client(request);
    const impersonating = this.connection.impersonation !== undefined;
    const pages = recordPageUris(trino);
    let queryId: string | undefined;
    let finished = false;
    // A stop the caller did not choose (a throw, or a page too large to read) cancels even a query kept open.
    let stoppedByEngine = false;
    const cancel = () => this.cancelOn(trino, queryId);

    const submitted = trino.query({
      query: request.sql,
      ...(request.catalog ? { catalog: request.catalog } : {}),
      ...(request.schema ? { schema: request.schema } : {}),
    });
    let iterator: Awaited<typeof submitted>;
    try {
      iterator = await untilAborted(submitted, signal);
    } catch (err) {
      if (signal.aborted) {
        // The POST may still complete: cancel whatever it started.
        submitted.then((it) => {
          queryId = firstResult(it)?.id;
          return cancel();
        }, () => undefined);
        throw cancelledError();
      }
      throw transportError(err);
    }

    try {
      const first = firstResult(iterator);
      if (!first) throw new DomainError('INTERNAL', 'trino-client returned no initial query result');
      if (first.error) {
        finished = true;
        throw queryError(first, impersonating);
      }
      queryId = first.id;
      yield { kind: 'started', queryId };
      if (!first.nextUri) finished = true;
      const state = { finished, columnsSent: false, oversized: false };
      try {
        yield* this.pages(iterator, queryId, signal, pages.last, state, { skip: 0, resuming: false });
      } finally {
        finished = state.finished;
        stoppedByEngine = state.oversized;
      }
      if (!state.columnsSent && !state.oversized) yield { kind: 'columns', columns: [] };
    } catch (err) {
      stoppedByEngine = true;
      throw err;
    } finally {
      // Otherwise an unfinished query ends here only because the caller stopped early
      // (return()): it is left running when the caller took it over (keepOpen).
      if (!finished && (stoppedByEngine || signal.aborted || !request.keepOpen)) await cancel();
    }
  }

  async *resume(request: ResumeRequest, signal: AbortSignal): AsyncGenerator<QueryEvent> {
    if (signal.aborted) throw cancelledError(request.queryId);
    if (!isStatementPage(request.at.page)) throw goneError(request.queryId);
    const trino = this.client(request);
    const pages = recordPageUris(trino);
    const state = { finished: false, columnsSent: false, oversized: false };
    let threw = false;
    try {
      yield { kind: 'started', queryId: request.queryId };
      yield* this.pages(iteratorAt(trino, request.queryId, request.at.page), request.queryId, signal, pages.last, state, {
        skip: request.at.skip,
        resuming: true,
      });
      if (!state.columnsSent && !state.oversized) yield { kind: 'columns', columns: [] };
    } catch (err) {
      threw = true;
      throw err;
    } finally {
      if (!state.finished && (threw || state.oversized || signal.aborted || !request.keepOpen)) await this.cancelOn(trino, request.queryId);
    }
  }

  async cancel(principal: Principal, queryId: string): Promise<void> {
    let trino: Trino;
    try {
      trino = this.client({ principal });
    } catch {
      return; // a principal that cannot run as a Trino user started no query
    }
    await this.cancelOn(trino, queryId);
  }

  private async cancelOn(trino: Trino, queryId: string | undefined): Promise<void> {
    if (!queryId) return;
    try {
      await untilAborted(trino.cancel(queryId), AbortSignal.timeout(CANCEL_WAIT_MS));
    } catch (err) {
      this.log.warn('could not cancel Trino query', { queryId, error: describeTransportError(err).message });
    }
  }

  /**
   * Streams the pages of a started query: columns once, then one `rows` event a page,
   * carrying the page's URI. `state.finished` says whether Trino reached the end (nothing
   * to cancel). A resumed stream skips the first `skip` rows of its first page and reports
   * a page Trino no longer holds as CURSOR_EXPIRED.
   */
  private async *pages(
    iterator: { next(): Promise<IteratorResult<QueryResult>> },
    queryId: string,
    signal: AbortSignal,
    lastUri: () => string | undefined,
    state: { finished: boolean; columnsSent: boolean; oversized: boolean },
    from: { skip: number; resuming: boolean },
  ): AsyncGenerator<QueryEvent> {
    const impersonating = this.connection.impersonation !== undefined;
    let skip = from.skip;
    while (!state.finished) {
      let step: IteratorResult<QueryResult>;
      try {
        step = await untilAborted(iterator.next(), signal);
      } catch (err) {
        if (signal.aborted) throw cancelledError(queryId);
        if (isOversized(err)) {
          // Unread, so the query is still running: the caller's finally block cancels it.
          state.oversized = true;
          yield { kind: 'oversized', limitBytes: this.maxResponseBytes };
          return;
        }
        if (from.resuming && isGone(err)) {
          state.finished = true;
          throw goneError(queryId);
        }
        throw transportError(err);
      }
      const page = step.value;
      if (step.done || !page.nextUri) state.finished = true;
      if (step.done) break;
      if (page.error) {
        if (from.resuming && endedMeanwhile(page)) throw goneError(queryId);
        throw queryError(page, impersonating);
      }
      if (!state.columnsSent && page.columns) {
        state.columnsSent = true;
        yield { kind: 'columns', columns: page.columns.map((c: { name: string; type: string }): Column => ({ name: c.name, type: c.type })) };
      }
      const data = page.data && skip > 0 ? page.data.slice(skip) : page.data;
      const uri = lastUri();
      if (data && data.length > 0) yield { kind: 'rows', rows: data, at: uri ? { page: uri, skip } : undefined };
      if (page.data && page.data.length > 0) skip = 0;
    }
  }
}

/**
 * The POST /v1/statement answer, which trino-client's Iterator keeps in a private field
 * and never yields. It carries the query id, which a cancel needs before the first page
 * arrives. trino-client is pinned to an exact version; test/contract fails if this moves.
 */
function firstResult(iterator: unknown): QueryResult | undefined {
  return (iterator as { iter?: { queryResult?: QueryResult } }).iter?.queryResult;
}
