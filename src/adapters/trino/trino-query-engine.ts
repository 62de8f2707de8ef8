import { inject, injectable } from 'inversify';
import { Trino, type ConnectionOptions, type QueryResult } from 'trino-client';
import { DomainError, isDomainError } from '../../domain/errors.ts';
import type { Column } from '../../domain/model.ts';
import type { QueryEngine, QueryEvent, QueryRequest } from '../../ports/query-engine.ts';
import { Logger } from '../../ports/logger.ts';
import { asciiJson, clientInfo, sessionUserProblem } from './identity-headers.ts';
import { transformTrinoResponse } from './trino-responses.ts';
import { basicCredentials, noCredentials } from './credentials/static-credentials.ts';
import type { TrinoCredentials } from './credentials/trino-credentials.ts';
import type { TrinoTls } from './tls-options.ts';
import { describeTransportError, isUnauthorized, transportError } from './transport-errors.ts';

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
  /** TRINO_AUTH; without it, basic when `password` is set, else none. */
  readonly credentials?: TrinoCredentials | undefined;
  /** TLS material for https (tls-options.ts); without it, only `verifyCertificates` applies. */
  readonly tls?: TrinoTls | undefined;
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

function queryError(result: QueryResult, impersonating: boolean): DomainError {
  const e = result.error!;
  const details = { errorName: e.errorName, queryId: result.id };
  // Trino's access control refusing to let TRINO_USER act as the caller is not the
  // statement's fault: no rewrite of the SQL helps. Trino 476 words it
  // "Access Denied: User svc cannot impersonate user carol".
  if (impersonating && e.errorName === 'PERMISSION_DENIED' && /cannot impersonate user/i.test(e.message)) {
    return new DomainError('POLICY_DENIED', `Trino refused to run the query as you: ${e.message}. The operator must allow the impersonation in Trino.`, {
      ...details,
      rule: 'IMPERSONATION',
    });
  }
  if (e.errorType === 'USER_ERROR') return new DomainError('QUERY_INVALID', e.message, details);
  return new DomainError('ENGINE_UNAVAILABLE', `Trino failed the query (${e.errorName}): ${e.message}`, {
    ...details,
    retryable: e.errorType !== 'INTERNAL_ERROR',
  });
}

/** axios gave up on a response past maxContentLength (it has no code of its own for that). */
function isOversized(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  return e.code === 'ERR_BAD_RESPONSE' && typeof e.message === 'string' && e.message.startsWith('maxContentLength size of');
}

function cancelledError(queryId?: string): DomainError {
  return new DomainError('CANCELLED', 'The request was cancelled; the Trino query was cancelled too.', queryId ? { queryId } : {});
}

/** Resolves with `promise`, or rejects as soon as `signal` aborts (the promise keeps running). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      promise.catch(() => undefined);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

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
  private readonly credentials: TrinoCredentials;

  constructor(
    @inject(TrinoConnection) private readonly connection: TrinoConnection,
    @inject(Logger) private readonly log: Logger,
  ) {
    this.credentials =
      connection.credentials ?? (connection.password !== undefined ? basicCredentials(connection.user, connection.password) : noCredentials(false));
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

  private client(request: QueryRequest, authorization: string | undefined): Trino {
    const c = this.connection;
    const p = request.principal;
    // A token or certificate names the Trino user itself; X-Trino-User next to it would ask
    // Trino for impersonation. trino-client drops empty headers, its default user included.
    const user = this.credentials.namesUser && !c.impersonation ? '' : this.sessionUser(request);
    const options: ConnectionOptions = {
      server: c.server,
      source: c.source,
      ...(c.server.startsWith('https:') ? { ssl: { ...(c.tls ?? { rejectUnauthorized: c.verifyCertificates }) } } : {}),
      extraHeaders: {
        // TRINO_USER is checked by sessionUserProblem at start-up (src/app/env-schema.ts).
        'X-Trino-User': user,
        ...(authorization !== undefined ? { Authorization: authorization } : {}),
        // Attribution: who asked, for Trino's query history and event listeners.
        'X-Trino-Client-Info': clientInfo(p),
        'X-Trino-Client-Tags': 'trino-mcp',
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
    const p = request.principal;
    const authorize = async () => {
      try {
        return await untilAborted(this.credentials.authorization(p, signal), signal);
      } catch (err) {
        throw signal.aborted ? cancelledError() : err;
      }
    };
    let authorization = await authorize();
    let trino = this.client(request, authorization);
    const impersonating = this.connection.impersonation !== undefined;
    let queryId: string | undefined;
    let finished = false;
    const cancel = async () => {
      if (!queryId) return;
      const id = queryId;
      try {
        await untilAborted(trino.cancel(id), AbortSignal.timeout(CANCEL_WAIT_MS));
      } catch (err) {
        this.log.warn('could not cancel Trino query', { queryId: id, error: describeTransportError(err).message });
      }
    };

    const submit = () =>
      trino.query({
        query: request.sql,
        ...(request.catalog ? { catalog: request.catalog } : {}),
        ...(request.schema ? { schema: request.schema } : {}),
      });
    let submitted = submit();
    let iterator: Awaited<typeof submitted>;
    try {
      try {
        iterator = await untilAborted(submitted, signal);
      } catch (err) {
        // A 401 runs nothing in Trino: one retry with a fresh credential covers a token that
        // expired or was revoked early, or a token file rotated since it was read.
        if (signal.aborted || !isUnauthorized(err) || authorization === undefined) throw err;
        this.credentials.rejected(p, authorization);
        const fresh = await authorize();
        if (fresh === authorization) throw err; // a fixed password or token: the same answer again
        authorization = fresh;
        trino = this.client(request, authorization);
        submitted = submit();
        iterator = await untilAborted(submitted, signal);
      }
    } catch (err) {
      if (isDomainError(err)) throw err;
      if (signal.aborted) {
        // The POST may still complete: cancel whatever it started.
        submitted.then((it) => {
          queryId = firstResult(it)?.id;
          return cancel();
        }, () => undefined);
        throw cancelledError();
      }
      throw transportError(err, this.credentials.refusedCredential(p));
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
      let columnsSent = false;
      if (!first.nextUri) finished = true;
      while (!finished) {
        let step: IteratorResult<QueryResult>;
        try {
          step = await untilAborted(iterator.next(), signal);
        } catch (err) {
          if (signal.aborted) throw cancelledError(queryId);
          if (isOversized(err)) {
            // Unread, so the query is still running: the finally block cancels it.
            yield { kind: 'oversized', limitBytes: this.maxResponseBytes };
            return;
          }
          throw transportError(err, this.credentials.refusedCredential(p));
        }
        const page = step.value;
        if (step.done || !page.nextUri) finished = true;
        if (step.done) break;
        if (page.error) throw queryError(page, impersonating);
        if (!columnsSent && page.columns) {
          columnsSent = true;
          yield { kind: 'columns', columns: page.columns.map((c: { name: string; type: string }): Column => ({ name: c.name, type: c.type })) };
        }
        if (page.data && page.data.length > 0) yield { kind: 'rows', rows: page.data };
      }
      if (!columnsSent) yield { kind: 'columns', columns: [] };
    } finally {
      if (!finished) await cancel();
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
