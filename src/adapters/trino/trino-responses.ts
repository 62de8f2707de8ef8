/** How Trino's HTTP answers are read: JSON that keeps every digit, pages, progress, and error bodies. */
import type { QueryProgress } from '../../ports/query-engine.ts';

type Reviver = (key: string, value: unknown, context?: { source?: string }) => unknown;

/**
 * JSON as Trino sends it, keeping every digit: an integer beyond ±2^53 (a large bigint)
 * becomes its decimal string instead of a rounded number. Needs JSON.parse source access
 * (Node.js 21+); on older runtimes such values stay rounded numbers.
 *
 * The page is parsed without a reviver first (a reviver runs on every value of the page,
 * and it was the largest cost of reading a result); only when that parse holds an integer
 * JSON.parse may have rounded (not a safe integer) is it parsed again with the reviver.
 * A scan of the text for long digit runs cost as much as the parse itself.
 */
export function parseTrinoJson(text: string): unknown {
  const fast: unknown = JSON.parse(text);
  if (!holdsUnsafeInteger(fast)) return fast;
  const reviver: Reviver = (_key, value, context) =>
    typeof value === 'number' && !Number.isSafeInteger(value) && context?.source !== undefined && /^-?\d+$/.test(context.source)
      ? context.source
      : value;
  return JSON.parse(text, reviver as (key: string, value: unknown) => unknown);
}

/** Whether a parsed value holds a number that is a whole number beyond ±(2^53 − 1). */
function holdsUnsafeInteger(value: unknown): boolean {
  if (typeof value === 'number') return Number.isInteger(value) && !Number.isSafeInteger(value);
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) {
    for (const v of value) if (typeof v !== 'string' && holdsUnsafeInteger(v)) return true;
    return false;
  }
  for (const key in value) if (holdsUnsafeInteger((value as Record<string, unknown>)[key])) return true;
  return false;
}

/** Trino's error object in a query answer. */
export interface TrinoQueryError {
  readonly message: string;
  readonly errorName: string;
  readonly errorType: string;
}

/** Trino's progress of a query, as each answer reports it. */
export interface TrinoStats {
  readonly state?: string;
  readonly processedRows?: number;
  readonly processedBytes?: number;
  readonly completedSplits?: number;
  readonly totalSplits?: number;
  readonly elapsedTimeMillis?: number;
}

/** One answer of the statement protocol (POST /v1/statement, then each GET of nextUri). */
export interface TrinoPage {
  readonly id: string;
  readonly nextUri?: string;
  readonly columns?: ReadonlyArray<{ readonly name: string; readonly type: string }>;
  readonly data?: unknown[][];
  readonly stats?: TrinoStats;
  readonly error?: TrinoQueryError;
}

/** A success answer's body as a page, or undefined when it is not one. */
export function parsePage(text: string): TrinoPage | undefined {
  let value: unknown;
  try {
    value = parseTrinoJson(text);
  } catch {
    return undefined;
  }
  const page = value as TrinoPage | null;
  return page !== null && typeof page === 'object' && typeof page.id === 'string' ? page : undefined;
}

/**
 * Trino's one-line reason in an error answer (`Access Denied: Invalid credentials`,
 * `Password not allowed for insecure authentication`): printable ASCII, bounded; nothing
 * from an HTML page a proxy may send instead.
 */
export function reasonOf(data: unknown): string | undefined {
  if (typeof data !== 'string' || data.trimStart().startsWith('<')) return undefined;
  const line = data.replace(/[^\x20-\x7e]+/g, ' ').trim().slice(0, 160);
  return line || undefined;
}

const num = (v: number | undefined) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** A page's stats as the port's progress (missing numbers are 0). */
export function progressOf(stats: TrinoStats): QueryProgress {
  return {
    state: typeof stats.state === 'string' ? stats.state : 'UNKNOWN',
    processedRows: num(stats.processedRows),
    processedBytes: num(stats.processedBytes),
    completedSplits: num(stats.completedSplits),
    totalSplits: num(stats.totalSplits),
  };
}
