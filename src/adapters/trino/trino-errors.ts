import { DomainError } from '../../domain/errors.ts';
import type { TrinoPage } from './trino-responses.ts';
import { reasonOf } from './trino-responses.ts';

/** An HTTP answer of Trino that is not a page: a refusal, an outage, a proxy's page. */
export class TrinoHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string | undefined,
  ) {
    super(`Trino answered HTTP ${status}`);
  }
}

/** The pieces of a transport failure worth reporting: no URL, no header, no credential. */
export function describeTransportError(err: unknown): { status?: number; code?: string; reason?: string; message: string } {
  if (err instanceof TrinoHttpError) {
    const reason = reasonOf(err.body);
    return { status: err.status, ...(reason ? { reason } : {}), message: err.message };
  }
  const e = err as { code?: unknown; message?: unknown; cause?: { code?: unknown } };
  const code = typeof e.code === 'string' ? e.code : typeof e.cause?.code === 'string' ? e.cause.code : undefined;
  return { ...(code ? { code } : {}), message: typeof e.message === 'string' ? e.message.replace(/\/\/[^/@\s]*@/g, '//') : 'unknown error' };
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

/** `refused` names the credential Trino saw (TrinoCredentials.refusedCredential). */
export function transportError(err: unknown, refused: string): DomainError {
  if (err instanceof DomainError) return err;
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

export function queryError(page: TrinoPage, impersonating: boolean): DomainError {
  const e = page.error!;
  const details = { errorName: e.errorName, queryId: page.id };
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

export function cancelledError(queryId?: string): DomainError {
  return new DomainError('CANCELLED', 'The request was cancelled; the Trino query was cancelled too.', queryId ? { queryId } : {});
}

/** A nextUri elsewhere than the configured coordinator: following it would send the credentials there. */
export function foreignUriError(uri: string): DomainError {
  return new DomainError(
    'ENGINE_UNAVAILABLE',
    `Trino pointed the next page to another origin (${new URL(uri).origin}) than TRINO_HOST; the credentials are not sent there. The operator must configure Trino's http-server.process-forwarded or the proxy.`,
    { retryable: false },
  );
}
