import { inject, injectable } from 'inversify';
import { DomainError } from '../../domain/errors.ts';
import type { Column, Principal } from '../../domain/model.ts';
import type { QueryEngine, QueryEvent, QueryProgress, QueryRequest } from '../../ports/query-engine.ts';
import { Logger } from '../../ports/logger.ts';
import { asciiJson, clientInfo, sessionUserProblem } from './identity-headers.ts';
import { cancelledError, describeTransportError, foreignUriError, queryError, TrinoHttpError, transportError } from './trino-errors.ts';
import { TrinoHttp, untilAborted, type TrinoTlsOptions } from './trino-http.ts';
import { parsePage, type TrinoPage, type TrinoStats } from './trino-responses.ts';

/**
 * Where the Authorization header of a query comes from: asked once per query; told when
 * Trino refused it (HTTP 401 to the first request), after which the query is sent once more
 * with a new header, if there is one.
 */
export interface TrinoCredentialSource {
  authorization(principal: Principal, signal: AbortSignal): Promise<string | undefined>;
  rejected(principal: Principal, header: string): void;
}

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
   * a page is parsed whole, and Trino sends one value of any size in one page.
   */
  readonly maxResponseBytes?: number | undefined;
  /** Keep-alive connections to Trino (DEFAULT_CONNECTIONS when not given); more requests wait for one. */
  readonly connections?: number | undefined;
  /** TRINO_HTTP_COMPRESSION: ask Trino for gzip answers. */
  readonly compression?: boolean | undefined;
  /** The Authorization of each query; TRINO_USER / TRINO_PASSWORD as Basic when not given. */
  readonly credentials?: TrinoCredentialSource | undefined;
  /** TLS settings beyond `verifyCertificates` (CA, client certificate). */
  readonly tls?: Omit<TrinoTlsOptions, 'rejectUnauthorized'> | undefined;
}

/**
 * Trino aims at pages of about 1 MB and lets them grow to 8 MB for large rows, so no
 * ordinary page comes near this. A page is held about twice over while it is parsed (the
 * response text, then its values; four times for text past Latin-1), which 16 MiB keeps
 * well inside a small heap.
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
/** Enough for the default TRINO_MAX_CONCURRENT_QUERIES, with room for the cancels. */
export const DEFAULT_CONNECTIONS = 20;

export const TrinoConnection = Symbol.for('TrinoConnection');

const CANCEL_WAIT_MS = 5_000;
/** Trino's protocol: 502, 503 and 504 mean "ask again", after a short wait. */
const RETRY_STATUSES = new Set([502, 503, 504]);
const MAX_RETRIES = 5;

const num = (v: number | undefined) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

function progressOf(stats: TrinoStats): QueryProgress {
  return {
    state: typeof stats.state === 'string' ? stats.state : 'UNKNOWN',
    processedRows: num(stats.processedRows),
    processedBytes: num(stats.processedBytes),
    completedSplits: num(stats.completedSplits),
    totalSplits: num(stats.totalSplits),
  };
}

/** One page, or the news that it was larger than the bound and was not read. */
type PageOutcome = { readonly page: TrinoPage } | { readonly oversized: true };

/**
 * QueryEngine on Trino's statement protocol (POST /v1/statement, then GET each nextUri),
 * over a keep-alive connection pool (TrinoHttp). Each query sends its own headers and keeps
 * nothing of Trino's session answers (Set-Session, Set-Catalog, prepared statements), so
 * nothing leaks between users' queries; an abandoned query is cancelled with
 * DELETE /v1/query/{id}.
 */
@injectable()
export class TrinoQueryEngine implements QueryEngine {
  private readonly http: TrinoHttp;
  private readonly origin: string;
  private readonly credentials: TrinoCredentialSource;

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
    this.credentials = connection.credentials ?? basicCredentials(connection);
  }

  private get maxResponseBytes(): number {
    return this.connection.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  }

  /** The Trino session user: TRINO_USER, or the caller's claim when impersonating. */
  private sessionUser(request: QueryRequest): string {
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

  /** The headers every request of one query carries (without Authorization). */
  private headers(request: QueryRequest): Record<string, string> {
    return {
      // TRINO_USER is checked by sessionUserProblem at start-up (src/app/env-schema.ts).
      'x-trino-user': this.sessionUser(request),
      'x-trino-source': this.connection.source,
      // Attribution: who asked, for Trino's query history and event listeners.
      'x-trino-client-info': clientInfo(request.principal),
      'x-trino-client-tags': 'trino-mcp',
      ...(request.catalog ? { 'x-trino-catalog': request.catalog } : {}),
      ...(request.schema ? { 'x-trino-schema': request.schema } : {}),
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
   * POST /v1/statement, with the Authorization of the caller. A 401 tells the credentials
   * their header was refused, and the statement is sent once more with a new one.
   */
  private async submit(request: QueryRequest, headers: Record<string, string>, signal: AbortSignal): Promise<{ outcome: PageOutcome; sent: Record<string, string> }> {
    const url = `${this.origin}/v1/statement`;
    let authorization = await this.credentials.authorization(request.principal, signal);
    for (let retried = false; ; retried = true) {
      const all = authorization ? { ...headers, authorization } : headers;
      try {
        // The POST runs without the caller's signal: once Trino has the statement, only its
        // answer tells which query to cancel (run() does that when the caller is gone).
        return { outcome: await this.fetchPage('POST', url, all, undefined, request.sql), sent: all };
      } catch (err) {
        if (retried || !(err instanceof TrinoHttpError) || err.status !== 401 || !authorization) throw err;
        this.credentials.rejected(request.principal, authorization);
        const next = await this.credentials.authorization(request.principal, signal);
        if (!next || next === authorization) throw err;
        authorization = next;
      }
    }
  }

  private async cancel(queryId: string, headers: Record<string, string>): Promise<void> {
    try {
      const url = new URL(`${this.origin}/v1/query/${encodeURIComponent(queryId)}`);
      await this.http.request('DELETE', url, headers, { maxBytes: 64 * 1024, signal: AbortSignal.timeout(CANCEL_WAIT_MS) });
    } catch (err) {
      this.log.warn('could not cancel Trino query', { queryId, error: describeTransportError(err).message });
    }
  }

  async *run(request: QueryRequest, signal: AbortSignal): AsyncGenerator<QueryEvent> {
    if (signal.aborted) throw cancelledError();
    const headers = this.headers(request);
    const impersonating = this.connection.impersonation !== undefined;
    const submitted = this.submit(request, headers, signal);
    let first: PageOutcome;
    // The headers the statement was accepted with (its Authorization): every later request of the query carries them.
    let sent: Record<string, string>;
    try {
      ({ outcome: first, sent } = await untilAborted(submitted, signal));
    } catch (err) {
      if (signal.aborted) {
        // The POST may still complete: cancel whatever it started.
        submitted.then(({ outcome: o, sent: h }) => ('page' in o && o.page.nextUri ? this.cancel(o.page.id, h) : undefined), () => undefined);
        throw cancelledError();
      }
      throw transportError(err);
    }
    if (!('page' in first)) {
      // Not even the first answer fits: nothing tells which query to cancel, and Trino
      // abandons a query whose client does not come back.
      yield { kind: 'oversized', limitBytes: this.maxResponseBytes };
      return;
    }
    let page = first.page;
    if (page.error) throw queryError(page, impersonating);
    const queryId = page.id;
    let finished = !page.nextUri;
    try {
      yield { kind: 'started', queryId };
      let columnsSent = false;
      for (;;) {
        if (page.error) {
          finished = true;
          throw queryError(page, impersonating);
        }
        if (page.stats && page.nextUri) yield { kind: 'progress', progress: progressOf(page.stats) };
        if (!columnsSent && page.columns) {
          columnsSent = true;
          yield { kind: 'columns', columns: page.columns.map((c): Column => ({ name: c.name, type: c.type })) };
        }
        if (page.data && page.data.length > 0) yield { kind: 'rows', rows: page.data };
        if (!page.nextUri) {
          finished = true;
          break;
        }
        let next: PageOutcome;
        try {
          next = await this.fetchPage('GET', page.nextUri, sent, signal);
        } catch (err) {
          if (signal.aborted) throw cancelledError(queryId);
          throw transportError(err);
        }
        if (!('page' in next)) {
          // Unread, so the query is still running: the finally block cancels it.
          yield { kind: 'oversized', limitBytes: this.maxResponseBytes };
          return;
        }
        page = next.page;
      }
      if (!columnsSent) yield { kind: 'columns', columns: [] };
    } finally {
      if (!finished) await this.cancel(queryId, sent);
    }
  }
}

/**
 * TRINO_USER / TRINO_PASSWORD as HTTP Basic. They go in their own header, apart from
 * X-Trino-User, so impersonation stays on when a password is set.
 */
function basicCredentials(c: TrinoConnection): TrinoCredentialSource {
  const header = c.password !== undefined ? `Basic ${Buffer.from(`${c.user}:${c.password}`, 'utf8').toString('base64')}` : undefined;
  return {
    authorization: () => Promise.resolve(header),
    rejected: () => undefined,
  };
}
