/** How Trino's HTTP answers are read: JSON that keeps every digit, and error bodies. */

type Reviver = (key: string, value: unknown, context?: { source?: string }) => unknown;

/**
 * JSON as Trino sends it, keeping every digit: an integer beyond ±2^53 (a large bigint)
 * becomes its decimal string instead of a rounded number. Needs JSON.parse source access
 * (Node.js 21+); on older runtimes such values stay rounded numbers.
 */
export function parseTrinoJson(text: string): unknown {
  const reviver: Reviver = (_key, value, context) =>
    typeof value === 'number' && !Number.isSafeInteger(value) && context?.source !== undefined && /^-?\d+$/.test(context.source)
      ? context.source
      : value;
  return JSON.parse(text, reviver as (key: string, value: unknown) => unknown);
}

/**
 * axios runs the response transform on error answers too, and a transform that throws
 * replaces the error: a 401 from Trino (a text body) became a bare SyntaxError, reported as
 * "no answer". Only a success answer must be JSON.
 */
export function transformTrinoResponse(data: unknown, _headers: unknown, status?: number): unknown {
  if (typeof data !== 'string' || data.length === 0) return data;
  try {
    return parseTrinoJson(data);
  } catch {
    if (status !== undefined && (status < 200 || status > 299)) return data;
    throw Object.assign(new Error(`Trino answered HTTP ${status ?? '?'} with a body that is not JSON`), { code: 'ERR_BAD_RESPONSE' });
  }
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
