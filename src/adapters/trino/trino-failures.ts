import type { QueryResult } from 'trino-client';
import { DomainError } from '../../domain/errors.ts';
import { reasonOf } from './trino-responses.ts';

/** The pieces of an axios error worth reporting; the error object itself holds credentials. */
export function describeTransportError(err: unknown): { status?: number; code?: string; reason?: string; message: string } {
  const e = err as { response?: { status?: number; data?: unknown }; code?: string; message?: string };
  const reason = reasonOf(e.response?.data);
  return {
    ...(e.response?.status !== undefined ? { status: e.response.status } : {}),
    ...(e.code ? { code: e.code } : {}),
    ...(reason ? { reason } : {}),
    message: typeof e.message === 'string' ? e.message.replace(/\/\/[^/@\s]*@/g, '//') : 'unknown error',
  };
}

export function transportError(err: unknown): DomainError {
  const t = describeTransportError(err);
  if (t.status === 401 || t.status === 403) {
    return new DomainError(
      'ENGINE_UNAVAILABLE',
      `Trino refused this server's credentials (HTTP ${t.status}${t.reason ? `: ${t.reason}` : ''}); the operator must check TRINO_USER / TRINO_PASSWORD (Trino takes passwords over HTTPS only).`,
      { retryable: false },
    );
  }
  const what = t.status !== undefined ? `HTTP ${t.status}` : (t.code ?? 'no answer');
  return new DomainError('ENGINE_UNAVAILABLE', `Trino is unavailable (${what}); retry later.`, { retryable: true });
}

export function queryError(result: QueryResult, impersonating: boolean): DomainError {
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
export function isOversized(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  return e.code === 'ERR_BAD_RESPONSE' && typeof e.message === 'string' && e.message.startsWith('maxContentLength size of');
}

export function cancelledError(queryId?: string): DomainError {
  return new DomainError('CANCELLED', 'The request was cancelled; the Trino query was cancelled too.', queryId ? { queryId } : {});
}

/** Resolves with `promise`, or rejects as soon as `signal` aborts (the promise keeps running). */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
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
