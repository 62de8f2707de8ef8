import type { Principal } from '../../../domain/model.ts';

/**
 * How this server proves itself (or its caller) to Trino: one implementation per
 * TRINO_AUTH mode. The engine asks once per query and sends the answer on every request of
 * that query; a TLS client certificate (tls-options.ts) is separate and may come with any mode.
 */
export interface TrinoCredentials {
  /** The mode, for logs and messages (never a secret). */
  readonly mode: 'none' | 'basic' | 'jwt' | 'client_credentials' | 'token_exchange';
  /**
   * True when the credential itself names the Trino user (a token, or a client certificate):
   * X-Trino-User is then left out, because Trino would read it as a request to impersonate.
   */
  readonly namesUser: boolean;
  /** The value of the Authorization header for one query of `principal`, or undefined for none. */
  authorization(principal: Principal, signal: AbortSignal): Promise<string | undefined>;
  /**
   * Trino answered 401 to `header`: forget it, so that the one retry the engine makes gets a
   * fresh credential (a token revoked or expired early, a rotated file).
   */
  rejected(principal: Principal, header: string): void;
  /** What Trino refused, in words for an error message: "the JWT in TRINO_ACCESS_TOKEN_FILE". */
  refusedCredential(principal: Principal): string;
}
export const TrinoCredentials = Symbol.for('TrinoCredentials');
