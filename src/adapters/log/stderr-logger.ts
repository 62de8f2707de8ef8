import type { Logger } from '../../ports/logger.ts';

/**
 * Keys whose values are never logged, at any depth: the one place redaction happens (the
 * start-up log of the configuration relies on it for TRINO_PASSWORD and JWT_SECRET).
 * Whole words, so that a setting such as `allowPassthrough` is still shown.
 */
const SECRET_KEYS = /^pass$|password|passwd|passphrase|secret|token|authorization|cookie|credential/i;

const MAX_DEPTH = 6;

/** Keys that hold URLs (`jwksUrl`, `jwks_uri`, `url`): logged without what may carry a key. */
const URL_KEYS = /(url|uri)$/i;

/**
 * A URL as it may be logged: scheme, host, port and path. The query and fragment can carry
 * an API key (some providers publish their JWKS as `…/keys?key=…`) and the user-info a
 * password; both are dropped. Text that is not a URL is returned unchanged.
 */
export function urlForLog(value: string): string {
  if (!URL.canParse(value)) return value;
  const u = new URL(value);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return value;
  if (!u.search && !u.hash && !u.username && !u.password) return value;
  return `${u.protocol}//${u.host}${u.pathname}`;
}

/**
 * Drops values under secret-looking keys before anything is written. Past MAX_DEPTH the
 * value is replaced, not printed: what is not inspected is not logged.
 */
function scrub(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[truncated]';
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (SECRET_KEYS.test(k) && v !== undefined) out[k] = '[redacted]';
    else if (URL_KEYS.test(k) && typeof v === 'string') out[k] = urlForLog(v);
    else out[k] = scrub(v, depth + 1);
  }
  return out;
}

/**
 * JSON lines on stderr. Over stdio, stdout carries only JSON-RPC, so logs must never go
 * there.
 */
export class StderrLogger implements Logger {
  constructor(private readonly write: (line: string) => void = (l) => process.stderr.write(l)) {}

  private emit(level: string, message: string, fields?: Record<string, unknown>) {
    const record = { time: new Date().toISOString(), level, msg: message, ...(fields ? (scrub(fields) as object) : {}) };
    this.write(`${JSON.stringify(record)}\n`);
  }

  info(message: string, fields?: Record<string, unknown>) {
    this.emit('info', message, fields);
  }
  warn(message: string, fields?: Record<string, unknown>) {
    this.emit('warn', message, fields);
  }
  error(message: string, fields?: Record<string, unknown>) {
    this.emit('error', message, fields);
  }
}
