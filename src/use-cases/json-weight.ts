import { Buffer } from 'node:buffer';

/**
 * What a value weighs: the UTF-8 bytes of its JSON, computed without serialising it, and
 * the JSON prefix of a value cut to a size. The result budget (result-budget.ts) weighs
 * every value of every row with these.
 */

// What JSON escapes, and surrogates without their other half (escaped to six bytes). A
// string with neither weighs its UTF-8 bytes plus the quotes; one with either, the exact way.
const ESCAPED = /[\u0000-\u001f"\\]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const plain = (s: string) => !ESCAPED.test(s) && !LONE_SURROGATE.test(s);

/** Up to this length a string is weighed character by character: cheaper than two scans and a native call. */
const SHORT_STRING = 128;

/** The UTF-8 bytes of a string's JSON, quotes included. */
export function stringJsonBytes(s: string): number {
  if (s.length <= SHORT_STRING) {
    let bytes = 2;
    for (let i = 0; i < s.length; ) {
      const cost = charJsonBytes(s, i);
      bytes += cost;
      i += cost === 4 ? 2 : 1;
    }
    return bytes;
  }
  return plain(s) ? Buffer.byteLength(s, 'utf8') + 2 : Buffer.byteLength(JSON.stringify(s), 'utf8');
}

/** The JSON bytes of the character at `i`: one code unit, or a surrogate pair (then 4, and it spans two units). */
function charJsonBytes(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c < 0x20) return c === 0x08 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d ? 2 : 6;
  if (c === 0x22 || c === 0x5c) return 2;
  if (c < 0x80) return 1;
  if (c < 0x800) return 2;
  if (c >= 0xd800 && c <= 0xdbff) {
    const next = s.charCodeAt(i + 1);
    return next >= 0xdc00 && next <= 0xdfff ? 4 : 6;
  }
  // A low surrogate reached here has no high one before it (pairs are stepped over whole): escaped.
  return c >= 0xdc00 && c <= 0xdfff ? 6 : 3;
}

/**
 * The longest prefix of `s` whose JSON (without quotes) fits `room` bytes, never splitting a
 * character, and its size. The prefix is a copy: V8 makes a slice a view of its parent, and
 * a 64 KiB prefix must not keep a 16 MB value alive for as long as the result lives.
 */
export function prefixWithin(s: string, room: number): { text: string; bytes: number } {
  // UTF-8 has at least one byte per UTF-16 unit: the prefix lies within the first `room` units.
  let head = s.length > room ? s.slice(0, room) : s;
  const last = head.charCodeAt(head.length - 1);
  if (head.length < s.length && last >= 0xd800 && last <= 0xdbff) head = head.slice(0, -1); // half a pair
  if (plain(head)) {
    // No escapes: JSON bytes are UTF-8 bytes, so cut the UTF-8 on a character boundary.
    const utf8 = Buffer.from(head, 'utf8');
    let end = Math.min(room, utf8.length);
    while (end > 0 && end < utf8.length && (utf8[end]! & 0xc0) === 0x80) end--;
    return { text: utf8.toString('utf8', 0, end), bytes: end };
  }
  let used = 0;
  let i = 0;
  while (i < head.length) {
    const cost = charJsonBytes(head, i);
    if (used + cost > room) break;
    used += cost;
    i += cost === 4 ? 2 : 1;
  }
  return { text: Buffer.from(head.slice(0, i), 'utf16le').toString('utf16le'), bytes: used };
}

/** Nesting deeper than this counts as too long: such a value is cut like a long one. */
const MAX_DEPTH = 100;

/**
 * The JSON bytes of any value, exact up to `limit`; past it, some number above `limit`
 * (walking stops there, so a huge nested value costs little). Nothing is serialised: for
 * the many small arrays, maps and rows of a result, only their size is needed.
 */
export function jsonBytesWithin(value: unknown, limit: number, depth = 0): number {
  if (typeof value === 'string') return value.length > limit ? limit + 1 : stringJsonBytes(value);
  if (value === null || value === undefined) return 4;
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value).length;
  if (typeof value !== 'object') return String(value).length;
  if (depth >= MAX_DEPTH) return limit + 1;
  let bytes = 2;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length && bytes <= limit; i++) {
      bytes += (i > 0 ? 1 : 0) + jsonBytesWithin(value[i], limit - bytes, depth + 1);
    }
    return bytes;
  }
  let first = true;
  for (const key in value) {
    if (bytes > limit) break;
    if (!Object.hasOwn(value, key)) continue;
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined) continue;
    bytes += (first ? 0 : 1) + stringJsonBytes(key) + 1 + jsonBytesWithin(v, limit - bytes, depth + 1);
    first = false;
  }
  return bytes;
}

interface JsonPrefix {
  readonly parts: string[];
  bytes: number;
}

function emit(out: JsonPrefix, text: string, limit: number): boolean {
  out.parts.push(text);
  out.bytes += text.length > limit ? text.length : stringBytes(text);
  return out.bytes <= limit;
}

function stringBytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function walk(value: unknown, out: JsonPrefix, limit: number, depth: number): boolean {
  if (typeof value === 'string') {
    // A string longer than what is left can only overflow: emit just enough of it.
    const room = limit - out.bytes;
    return emit(out, JSON.stringify(value.length > room ? value.slice(0, room + 1) : value), limit);
  }
  if (value === null || typeof value !== 'object') return emit(out, JSON.stringify(value) ?? 'null', limit);
  if (depth >= MAX_DEPTH) {
    out.bytes = limit + 1;
    return false;
  }
  if (Array.isArray(value)) {
    if (!emit(out, '[', limit)) return false;
    for (let i = 0; i < value.length; i++) {
      if (i > 0 && !emit(out, ',', limit)) return false;
      if (!walk(value[i] ?? null, out, limit, depth + 1)) return false;
    }
    return emit(out, ']', limit);
  }
  if (!emit(out, '{', limit)) return false;
  let first = true;
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue;
    if (!emit(out, `${first ? '' : ','}${JSON.stringify(key)}:`, limit)) return false;
    first = false;
    if (!walk(v, out, limit, depth + 1)) return false;
  }
  return emit(out, '}', limit);
}

/**
 * The JSON text of a nested value (array, map, row), stopping once it passes `limit` bytes:
 * what a cut value shows. A value up to `limit` comes back whole (exactly JSON.stringify's
 * text) with its exact size; a longer one as a prefix, flagged incomplete.
 */
export function boundedJson(value: object, limit: number): { text: string; complete: boolean; bytes: number } {
  const out: JsonPrefix = { parts: [], bytes: 0 };
  const complete = walk(value, out, limit, 0);
  return { text: out.parts.join(''), complete, bytes: out.bytes };
}
