import { pino, type DestinationStream, type Level, type Logger as Pino } from 'pino';
import { Writable } from 'node:stream';
import { createRequire } from 'node:module';
import type PinoPrettyModule from 'pino-pretty';
import type { Logger } from '../../ports/logger.ts';

/**
 * Key names whose values are never logged: every secret, token and password the server
 * or its libraries hold (the configuration, Trino's credentials, OAuth and HTTP headers).
 * The one place redaction happens: `bound` censors them at any depth up to MAX_DEPTH, in
 * any letter case, and the start-up log of the configuration relies on it for
 * TRINO_PASSWORD and JWT_SECRET.
 */
export const SECRET_KEYS = [
  'password',
  'passwd',
  'pass',
  'secret',
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'idToken',
  'id_token',
  'bearer',
  'authorization',
  'Authorization',
  'proxy-authorization',
  'cookie',
  'Cookie',
  'set-cookie',
  'credential',
  'credentials',
  'clientSecret',
  'client_secret',
  'apiKey',
  'privateKey',
  'key',
  'keystorePassword',
  'truststorePassword',
  'sslKeyPassword',
  'passphrase',
  'keyPassphrase',
  'TRINO_PASSWORD',
  'JWT_SECRET',
  'TRINO_ACCESS_TOKEN',
  'TRINO_OAUTH_CLIENT_SECRET',
  'TRINO_SSL_KEY_PASSPHRASE',
  'cursorSecret',
  'MCP_CURSOR_SECRET',
] as const;

/** Objects nested deeper than this are not inspected, so not logged either ('[truncated]'). */
const MAX_DEPTH = 6;

/**
 * The secret keys in lower case. Censored in the walk every line already takes (`bound`),
 * not by pino's redact paths: a path per key and depth (222 of them) cost a millisecond a
 * line, as much as the rest of a `SELECT 1` call.
 */
const SECRET = new Set(SECRET_KEYS.map((k) => k.toLowerCase()));

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
 * What a line's fields are logged as: secrets censored by key, the depth capped (what is
 * not inspected is not logged), URLs stripped to what may be shown.
 */
function bound(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { type: value.name, message: value.message };
  if (depth >= MAX_DEPTH) return '[truncated]';
  if (Array.isArray(value)) return value.map((v) => bound(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    // JSON drops undefined anyway; censored, an absent secret would show as present.
    if (v === undefined) continue;
    if (SECRET.has(k.toLowerCase())) out[k] = '[redacted]';
    else out[k] = URL_KEYS.test(k) && typeof v === 'string' ? urlForLog(v) : bound(v, depth + 1);
  }
  return out;
}

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface PinoLoggerOptions {
  /** LOG_LEVEL; `info` by default. */
  readonly level?: LogLevel | undefined;
  /**
   * Where lines go; stderr by default (over stdio, stdout carries only JSON-RPC). A
   * function receives each JSON line (tests).
   */
  readonly write?: ((line: string) => void) | undefined;
  /** Human-readable lines (pino-pretty); by default when stderr is a terminal (and no `write` is given). */
  readonly pretty?: boolean | undefined;
}

function destination(options: PinoLoggerOptions, pretty: boolean): DestinationStream {
  const write = options.write;
  // Synchronous to stderr: a line logged just before process.exit must not be lost.
  if (pretty) {
    const to = write ? new Writable({ write: (chunk: Buffer, _enc, done) => (write(chunk.toString('utf8')), done()) }) : 2;
    // Loaded only for a terminal: it is most of the logger's start-up, and a server run by a client never needs it.
    const PinoPretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPrettyModule;
    return PinoPretty({ destination: to, sync: true, colorize: !write, translateTime: 'SYS:HH:MM:ss.l' });
  }
  if (write) return { write: (line: string) => write(line) };
  return pino.destination({ dest: 2, sync: true });
}

/**
 * The Logger port on pino: one JSON line per call (`time`, `level` as a word, `msg`, the
 * fields), secrets censored by key (`bound`).
 */
export class PinoLogger implements Logger {
  private readonly pino: Pino;

  constructor(options: PinoLoggerOptions = {}) {
    const pretty = options.pretty ?? (!options.write && process.stderr.isTTY === true);
    this.pino = pino(
      {
        level: options.level ?? 'info',
        base: undefined,
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: {
          // pino-pretty reads the numeric level; JSON lines carry the word, as they always have.
          ...(pretty ? {} : { level: (label: string) => ({ level: label }) }),
          log: (fields: Record<string, unknown>) => bound(fields, 0) as Record<string, unknown>,
        },
      },
      destination(options, pretty),
    );
  }

  private emit(level: Level, message: string, fields?: Record<string, unknown>) {
    if (fields) this.pino[level](fields, message);
    else this.pino[level](message);
  }

  debug(message: string, fields?: Record<string, unknown>) {
    this.emit('debug', message, fields);
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
