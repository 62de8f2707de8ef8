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

/** Node's codes for a server certificate that does not verify. */
const CERT_VERIFY_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

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
  // TLS failures are settings to fix, not outages: say which side of the handshake failed.
  if (t.code && CERT_VERIFY_CODES.has(t.code)) {
    return new DomainError(
      'ENGINE_UNAVAILABLE',
      `Trino's certificate could not be verified (${t.code}); the operator must check TRINO_SSL_CA_FILE / TRINO_SSL_CA (the issuing CA) or TRINO_SSL_SERVERNAME (the name in the certificate).`,
      { retryable: false },
    );
  }
  if (t.code?.startsWith('ERR_SSL_')) {
    return new DomainError(
      'ENGINE_UNAVAILABLE',
      `Trino refused the TLS handshake (${t.code}), as it does a client certificate it does not trust; the operator must check TRINO_SSL_CERT_FILE and TRINO_SSL_KEY_FILE.`,
      { retryable: false },
    );
  }
  const what = t.status !== undefined ? `HTTP ${t.status}` : (t.code ?? 'no answer');
  return new DomainError('ENGINE_UNAVAILABLE', `Trino is unavailable (${what}); retry later.`, { retryable: true });
}

