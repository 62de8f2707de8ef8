import { inject, injectable } from 'inversify';
import { DomainError } from '../../domain/errors.ts';
import type { Column, Principal } from '../../domain/model.ts';
import type { QueryEngine, QueryEvent, QueryRequest, ResumeRequest } from '../../ports/query-engine.ts';
import { Logger } from '../../ports/logger.ts';
import { asciiJson, clientInfo, sessionUserProblem } from './identity-headers.ts';
import { basicCredentials, noCredentials } from './credentials/static-credentials.ts';
import type { TrinoCredentials } from './credentials/trino-credentials.ts';
import { DEFAULT_CONNECTIONS, DEFAULT_MAX_RESPONSE_BYTES, TrinoConnection } from './trino-connection.ts';
import { cancelledError, describeTransportError, foreignUriError, queryError, TrinoHttpError, transportError } from './trino-errors.ts';
import { TrinoHttp, untilAborted } from './trino-http.ts';
import { endedMeanwhile, goneError, isGone, isStatementPage } from './trino-pages.ts';
import { parsePage, progressOf, type TrinoPage } from './trino-responses.ts';

export { DEFAULT_CONNECTIONS, DEFAULT_MAX_RESPONSE_BYTES, TrinoConnection } from './trino-connection.ts';

const CANCEL_WAIT_MS = 5_000;
/** Trino's protocol: 502, 503 and 504 mean "ask again", after a short wait. */
const RETRY_STATUSES = new Set([502, 503, 504]);
const MAX_RETRIES = 5;

/** One page, or the news that it was larger than the bound and was not read. */
type PageOutcome = { readonly page: TrinoPage } | { readonly oversized: true };

/** One query as this process reads it: the headers its requests carry, and whether Trino is done with it. */
interface Stream {
  readonly queryId: string;
  readonly principal: Principal;
  headers: Record<string, string>;
  finished: boolean;
  /** A page past the bound was left unread: the query cannot go on, kept open or not. */
  oversized: boolean;
}

const withAuthorization = (headers: Record<string, string>, authorization: string | undefined) =>
  authorization ? { ...headers, authorization } : headers;

/**
 * QueryEngine on Trino's statement protocol (POST /v1/statement, then GET each nextUri),
 * over a keep-alive connection pool (TrinoHttp). Each query sends its own headers and keeps
 * nothing of Trino's session answers (Set-Session, Set-Catalog, prepared statements), so
 * nothing leaks between users' queries; an abandoned query is cancelled with
 * DELETE /v1/query/{id}. A page is requested only when the consumer asks for the next event,
 * which is what lets a query kept open resume at the page of its last `rows` event.
 */
@injectable()
export class TrinoQueryEngine implements QueryEngine {
  private readonly http: TrinoHttp;
  private readonly origin: string;
  private readonly credentials: TrinoCredentials;

  constructor(
    @inject(TrinoConnection) private readonly connection: TrinoConnection,
    @inject(Logger) private readonly log: Logger,
  ) {
    const https = connection.server.startsWith('https:');
    this.http = new TrinoHttp({
      connections: connection.connections ?? DEFAULT_CONNECTIONS,
      compression: connection.compression ?? false,
      ...(https ? { tls: { ...connection.tls, rejectUnauthorized: connection.verifyCertificates } } : {}),
    });
    this.origin = new URL(connection.server).origin;
    this.credentials =
      connection.credentials ??
      (connection.password !== undefined ? basicCredentials(connection.user, connection.password) : noCredentials(connection.tls?.cert !== undefined));
  }

  private get maxResponseBytes(): number {
    return this.connection.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  }

  private get impersonating(): boolean {
    return this.connection.impersonation !== undefined;
  }

  /** The Trino session user: TRINO_USER, or the caller's claim when impersonating. */
  private sessionUser(p: Principal): string {
    const claim = this.connection.impersonation;
    if (!claim) return this.connection.user;
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

  /** The headers every request of one query carries (without Authorization). */
  private headers(request: Pick<QueryRequest, 'principal' | 'catalog' | 'schema' | 'traceToken'>): Record<string, string> {
    // A token or certificate names the Trino user itself; X-Trino-User next to it would ask
    // Trino for impersonation, so it goes only with a credential that does not, or to impersonate.
    const named = this.credentials.namesUser && !this.impersonating;
    return {
      // TRINO_USER is checked by sessionUserProblem at start-up (src/app/env-schema.ts).
      ...(named ? {} : { 'x-trino-user': this.sessionUser(request.principal) }),
      'x-trino-source': this.connection.source,
      // Attribution: who asked, for Trino's query history and event listeners.
      'x-trino-client-info': clientInfo(request.principal),
      'x-trino-client-tags': 'trino-mcp',
      ...(request.catalog ? { 'x-trino-catalog': request.catalog } : {}),
      ...(request.schema ? { 'x-trino-schema': request.schema } : {}),
      // The caller's trace, so that Trino's query history links back to it.
      ...(request.traceToken ? { 'x-trino-trace-token': request.traceToken } : {}),
    };
  }

  /** Reads one answer; a non-2xx is a TrinoHttpError, a body that is no page an ENGINE_UNAVAILABLE. */
  private async fetchPage(method: 'GET' | 'POST', uri: string, headers: Record<string, string>, signal: AbortSignal | undefined, body?: string): Promise<PageOutcome> {
    const url = new URL(uri);
    if (url.origin !== this.origin) throw foreignUriError(uri);
    for (let attempt = 0; ; attempt++) {
      const answer = await this.http.request(method, url, headers, { maxBytes: this.maxResponseBytes, ...(signal ? { signal } : {}), ...(body !== undefined ? { body } : {}) });
      if (RETRY_STATUSES.has(answer.status) && attempt < MAX_RETRIES) {
        await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** attempt)));
        continue;
      }
      if (answer.status < 200 || answer.status > 299) throw new TrinoHttpError(answer.status, answer.text);
      if (answer.text === undefined) return { oversized: true };
      const page = parsePage(answer.text);
      if (!page) throw new DomainError('ENGINE_UNAVAILABLE', `Trino answered HTTP ${answer.status} with a body that is not a query result; retry later.`, { retryable: true });
      return { page };
    }
  }

  /**
   * The first request of a stream (the POST of a statement, the GET a resume starts with),
   * with the caller's Authorization. A 401 runs nothing in Trino: the credentials forget the
   * header, and one retry with a fresh one covers a token that expired or was revoked early,
   * or a token file rotated since it was read (a fixed password gets the same answer again).
   */
  private async authorized(principal: Principal, signal: AbortSignal, send: (authorization: string | undefined) => Promise<PageOutcome>): Promise<{ outcome: PageOutcome; authorization: string | undefined }> {
    let authorization = await this.credentials.authorization(principal, signal);
    for (let retried = false; ; retried = true) {
      try {
        return { outcome: await send(authorization), authorization };
      } catch (err) {
        if (retried || !(err instanceof TrinoHttpError) || err.status !== 401 || !authorization) throw err;
        this.credentials.rejected(principal, authorization);
        const next = await this.credentials.authorization(principal, signal);
        if (!next || next === authorization) throw err;
        authorization = next;
      }
    }
  }

  private async cancelQuery(queryId: string, headers: Record<string, string>): Promise<void> {
    try {
      const url = new URL(`${this.origin}/v1/query/${encodeURIComponent(queryId)}`);
      await this.http.request('DELETE', url, headers, { maxBytes: 64 * 1024, signal: AbortSignal.timeout(CANCEL_WAIT_MS) });
    } catch (err) {
      this.log.warn('could not cancel Trino query', { queryId, error: describeTransportError(err).message });
    }
  }

  async *run(request: QueryRequest, signal: AbortSignal): AsyncGenerator<QueryEvent> {
    if (signal.aborted) throw cancelledError();
    const base = this.headers(request);
    const url = `${this.origin}/v1/statement`;
    // The POST runs without the caller's signal: once Trino has the statement, only its
    // answer tells which query to cancel (done below when the caller is gone).
    const submitted = this.authorized(request.principal, signal, (a) => this.fetchPage('POST', url, withAuthorization(base, a), undefined, request.sql));
    let first: PageOutcome;
    // The headers the statement was accepted with (its Authorization): every later request of the query carries them.
    let headers: Record<string, string>;
    try {
      const answer = await untilAborted(submitted, signal);
      first = answer.outcome;
      headers = withAuthorization(base, answer.authorization);
    } catch (err) {
      if (signal.aborted) {
        submitted.then(({ outcome: o, authorization: a }) => ('page' in o && o.page.nextUri ? this.cancelQuery(o.page.id, withAuthorization(base, a)) : undefined), () => undefined);
        throw cancelledError();
      }
      throw transportError(err, this.credentials.refusedCredential(request.principal));
    }
    if (!('page' in first)) {
      // Not even the first answer fits: nothing tells which query to cancel, and Trino
      // abandons a query whose client does not come back.
      yield { kind: 'oversized', limitBytes: this.maxResponseBytes };
      return;
    }
    const page = first.page;
    if (page.error) throw queryError(page, this.impersonating);
    const stream: Stream = { queryId: page.id, principal: request.principal, headers, finished: !page.nextUri, oversized: false };
    yield* this.stream(stream, { page }, 0, request.keepOpen, signal);
  }

  async *resume(request: ResumeRequest, signal: AbortSignal): AsyncGenerator<QueryEvent> {
    if (signal.aborted) throw cancelledError(request.queryId);
    if (!isStatementPage(request.at.page, this.origin)) throw goneError(request.queryId);
    const stream: Stream = { queryId: request.queryId, principal: request.principal, headers: this.headers(request), finished: false, oversized: false };
    yield* this.stream(stream, { uri: request.at.page }, request.at.skip, request.keepOpen, signal);
  }

  async cancel(principal: Principal, queryId: string): Promise<void> {
    let headers: Record<string, string>;
    try {
      headers = this.headers({ principal });
      headers = withAuthorization(headers, await this.credentials.authorization(principal, AbortSignal.timeout(CANCEL_WAIT_MS)));
    } catch (err) {
      // A principal that cannot run as a Trino user started no query; a credential that cannot be had cannot cancel one.
      if (!(err instanceof DomainError && err.code === 'POLICY_DENIED')) this.log.warn('could not cancel Trino query', { queryId, error: describeTransportError(err).message });
      return;
    }
    await this.cancelQuery(queryId, headers);
  }

  /**
   * `started`, then the query's events from `start` (a page in hand, or the URI of one to
   * fetch again); cancels the query when the stream ends early, unless the caller keeps it
   * open: without a throw, an unfinished query ends here only because the caller stopped.
   */
  private async *stream(s: Stream, start: { page: TrinoPage } | { uri: string }, skip: number, keepOpen: boolean | undefined, signal: AbortSignal): AsyncGenerator<QueryEvent> {
    let threw = false;
    try {
      yield { kind: 'started', queryId: s.queryId };
      yield* this.pages(s, start, skip, signal);
    } catch (err) {
      threw = true;
      throw err;
    } finally {
      if (!s.finished && (threw || signal.aborted || s.oversized || !keepOpen)) await this.cancelQuery(s.queryId, s.headers);
    }
  }

  /**
   * Columns once, then one `rows` event a page, carrying the URI of the GET that produced it
   * (none for the POST's answer, which cannot be asked again). A resumed stream skips the
   * first `skip` rows of its first page and reports a page Trino no longer holds as CURSOR_EXPIRED.
   */
  private async *pages(s: Stream, start: { page: TrinoPage } | { uri: string }, skip: number, signal: AbortSignal): AsyncGenerator<QueryEvent> {
    const resuming = 'uri' in start;
    let uri = resuming ? start.uri : undefined;
    let outcome: PageOutcome = resuming ? await this.resumeAt(s, start.uri, signal) : start;
    let columnsSent = false;
    for (;;) {
      if (!('page' in outcome)) {
        // Unread, so the query is still running: stream() cancels it.
        s.oversized = true;
        yield { kind: 'oversized', limitBytes: this.maxResponseBytes };
        return;
      }
      const page = outcome.page;
      if (page.error) {
        s.finished = true;
        if (resuming && endedMeanwhile(page)) throw goneError(s.queryId);
        throw queryError(page, this.impersonating);
      }
      if (!page.nextUri) s.finished = true;
      if (page.stats && page.nextUri) yield { kind: 'progress', progress: progressOf(page.stats) };
      if (!columnsSent && page.columns) {
        columnsSent = true;
        yield { kind: 'columns', columns: page.columns.map((c): Column => ({ name: c.name, type: c.type })) };
      }
      const data = page.data && skip > 0 ? page.data.slice(skip) : page.data;
      if (data && data.length > 0) yield { kind: 'rows', rows: data, at: uri ? { page: uri, skip } : undefined };
      if (page.data && page.data.length > 0) skip = 0;
      if (!page.nextUri) break;
      uri = page.nextUri;
      outcome = await this.next(s, resuming, () => this.fetchPage('GET', uri!, s.headers, signal), signal);
    }
    if (!columnsSent) yield { kind: 'columns', columns: [] };
  }

  /** The page a resume starts at, fetched again with the caller's Authorization (its later requests carry the same). */
  private resumeAt(s: Stream, uri: string, signal: AbortSignal): Promise<PageOutcome> {
    const base = s.headers;
    return this.next(s, true, async () => {
      const { outcome, authorization } = await this.authorized(s.principal, signal, (a) => this.fetchPage('GET', uri, withAuthorization(base, a), signal));
      s.headers = withAuthorization(base, authorization);
      return outcome;
    }, signal);
  }

  /** A page request's failure as the stream reports it. */
  private async next(s: Stream, resuming: boolean, request: () => Promise<PageOutcome>, signal: AbortSignal): Promise<PageOutcome> {
    try {
      return await untilAborted(request(), signal);
    } catch (err) {
      if (signal.aborted) throw cancelledError(s.queryId);
      if (resuming && isGone(err)) {
        s.finished = true;
        throw goneError(s.queryId);
      }
      throw transportError(err, this.credentials.refusedCredential(s.principal));
    }
  }
}
