import { createHash } from 'node:crypto';
import type { Principal } from '../../domain/model.ts';

/**
 * Longest Trino session user sent. OpenID Connect Core (§2) caps `sub` at 255 ASCII
 * characters; an email address is at most 254. Trino itself would take more, but nothing
 * longer is a user name, and refusing beats cutting.
 */
export const MAX_SESSION_USER_LENGTH = 255;

/**
 * Why `value` cannot be sent as X-Trino-User exactly, or undefined when it can.
 *
 * Trino reads the header with `trimEmptyToNull` (so ` bob ` runs as `bob`) and Jetty
 * decodes header bytes as ISO-8859-1 (UTF-8 bytes arrive as mojibake). Trino's own
 * clients send visible ASCII only, and so does this server: anything else would either be
 * changed on the way or depend on undocumented decoding. Refusing is the only mapping that
 * cannot merge two users into one.
 */
export function sessionUserProblem(value: string): string | undefined {
  if (value.length === 0) return 'is empty';
  if (value.length > MAX_SESSION_USER_LENGTH) return `is longer than ${MAX_SESSION_USER_LENGTH} characters`;
  if (/[\x00-\x1f\x7f]/.test(value)) return 'contains control characters';
  if (/[^\x20-\x7e]/.test(value)) return 'contains characters outside visible ASCII, which an HTTP header cannot carry exactly';
  if (value.startsWith(' ') || value.endsWith(' ')) return 'starts or ends with a space, which Trino trims';
  return undefined;
}

/** JSON text with every character outside printable ASCII escaped: header-safe and lossless. */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Longest claim value written into the client info as itself; longer ones are hashed. */
const MAX_ATTRIBUTION_VALUE = 255;

/**
 * X-Trino-Client-Info: one JSON object, ASCII only, e.g.
 * `{"client":"trino-mcp","via":"http","subject":"user-123","user":"carol"}`.
 * Claim text is only ever a JSON string value, so it cannot add, remove or fake a field.
 * A value longer than 255 characters is replaced by `subject_sha256` / `user_sha256` (hex
 * SHA-256 of its UTF-8 bytes): the header stays bounded and distinct callers stay distinct.
 */
export function clientInfo(principal: Principal): string {
  const info: Record<string, string> = { client: 'trino-mcp', via: principal.via };
  const put = (field: string, value: string | undefined) => {
    if (value === undefined) return;
    if (value.length <= MAX_ATTRIBUTION_VALUE) info[field] = value;
    else info[`${field}_sha256`] = createHash('sha256').update(value, 'utf8').digest('hex');
  };
  put('subject', principal.subject);
  put('user', principal.username);
  return asciiJson(info);
}
