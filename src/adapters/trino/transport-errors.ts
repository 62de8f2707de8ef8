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

/** Trino answered 401: whatever credential went with the request did not convince it. */
export function isUnauthorized(err: unknown): boolean {
  return (err as { response?: { status?: number } }).response?.status === 401;
}

/** `refused` names the credential Trino saw (TrinoCredentials.refusedCredential). */
export function transportError(err: unknown, refused: string): DomainError {
  const t = describeTransportError(err);
  if (t.status === 401 || t.status === 403) {
    return new DomainError(
      'ENGINE_UNAVAILABLE',
      `Trino refused ${refused} (HTTP ${t.status}${t.reason ? `: ${t.reason}` : ''}); the operator must check it (Trino takes credentials over HTTPS only).`,
      { retryable: false },
    );
  }
  const what = t.status !== undefined ? `HTTP ${t.status}` : (t.code ?? 'no answer');
  return new DomainError('ENGINE_UNAVAILABLE', `Trino is unavailable (${what}); retry later.`, { retryable: true });
}

