/**
 * The caller's own bearer token, kept on the Principal for the one use that needs it:
 * RFC 8693 token exchange at the identity provider. The value sits in a private field and
 * the object prints as `[redacted]` (JSON, String, util.inspect), so a principal that
 * reaches a log line never carries the token with it.
 */
export class BearerCredential {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The token itself: only for the request to the identity provider. */
  reveal(): string {
    return this.#value;
  }

  toJSON(): string {
    return '[redacted]';
  }

  toString(): string {
    return '[redacted]';
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return 'BearerCredential [redacted]';
  }
}
