import type { Column, Row } from '../domain/model.ts';
import { boundedJson, jsonBytesWithin, prefixWithin, stringJsonBytes } from './json-weight.ts';

/**
 * What a result may weigh (TRINO_MAX_RESULT_BYTES, TRINO_MAX_VALUE_BYTES).
 *
 * What counts: a value weighs the UTF-8 bytes of its JSON, as structuredContent carries
 * it (`"abc"` is 5, `[1,2]` is 5, null is 4). A row weighs its values plus one byte per
 * value and two for its brackets and separator; a column weighs its name and type plus
 * 18 bytes of framing (`{"name":…,"type":…},`). The tool answer carries every value
 * twice, in structuredContent and in the text, and a value's text is never longer than
 * its JSON, so each row and column is charged twice: what is kept never renders to more
 * than `maxBytes` in the two together.
 */
export interface ByteLimits {
  /** The whole result, rendered (both renderings together). */
  readonly maxBytes: number;
  /**
   * One value's JSON; a longer value is cut and ends with the marker. Infinity: values are
   * never cut, and a row with a value that does not fit is not kept at all (for answers
   * that must stay exact, like names and Trino's JSON plans).
   */
  readonly maxValueBytes: number;
  /** Bytes a row's rendering adds beyond its values and separators (e.g. field names); 0 unless told. */
  readonly rowOverheadBytes?: number;
}

/**
 * What a cut value ends with: visible in the text and in structuredContent alike. A cut
 * value fits the limit with its marker, unless the limit is shorter than the marker itself.
 */
export function truncationMarker(maxValueBytes: number): string {
  return `…[value truncated by trino-mcp: over ${maxValueBytes} bytes]`;
}

/** The largest value a one-column, one-row answer (a plan) may hold and still fit `maxBytes`. */
export function singleValueLimit(maxBytes: number): number {
  // Half for each rendering, less room for a column header of ordinary length.
  return Math.max(1, Math.floor(maxBytes / 2) - 256);
}

/** What weigh answers for a value that can be neither kept nor cut (values are never cut). */
const OVER = -1;

/**
 * Weighs values and keeps rows while the result fits `maxBytes`: one pass per value, no
 * copy of a row unless one of its values is cut. Used by readCapped while it streams.
 */
export class ResultBudget {
  private used = 0;
  private cuts = 0;
  private keptRows = 0;
  private rowsJson = 0;
  private lastCut: string | undefined;
  private readonly marker: string;
  private readonly markerBytes: number;

  constructor(private readonly limits: ByteLimits) {
    this.marker = truncationMarker(limits.maxValueBytes);
    this.markerBytes = stringJsonBytes(this.marker) - 2;
  }

  /** Values cut by the per-value limit in the rows kept. */
  get truncatedValues(): number {
    return this.cuts;
  }

  /**
   * The exact UTF-8 bytes of the kept rows' JSON (`[[…],[…]]`, as structuredContent carries
   * them), from the weights already taken: what counts the answer's size need not
   * serialise the rows again.
   */
  get rowsJsonBytes(): number {
    return 2 + this.rowsJson + Math.max(0, this.keptRows - 1);
  }

  /** Charges the columns; names and types past the value limit are cut. Undefined when they alone exceed the budget. */
  columns(columns: readonly Column[]): Column[] | undefined {
    let bytes = 0;
    const kept: Column[] = [];
    for (const c of columns) {
      const nameBytes = this.weigh(c.name);
      const name = this.lastCut ?? c.name;
      const typeBytes = this.weigh(c.type);
      const type = this.lastCut ?? c.type;
      if (nameBytes === OVER || typeBytes === OVER) return undefined;
      bytes += nameBytes + typeBytes + 18;
      if (this.used + 2 * bytes > this.limits.maxBytes) return undefined;
      kept.push(name === c.name && type === c.type ? c : { name, type });
    }
    this.used += 2 * bytes;
    return kept;
  }

  /** The row as kept (values past the limit cut), or undefined when it does not fit what is left. */
  take(row: Row): Row | undefined {
    let bytes = row.length + 2 + (this.limits.rowOverheadBytes ?? 0);
    let copy: unknown[] | undefined;
    let cuts = 0;
    for (let i = 0; i < row.length; i++) {
      const w = this.weigh(row[i]);
      if (w === OVER) return undefined;
      bytes += w;
      if (this.used + 2 * bytes > this.limits.maxBytes) return undefined; // a wide row stops at the first value past the budget
      if (this.lastCut !== undefined) {
        copy ??= [...row];
        copy[i] = this.lastCut;
        cuts++;
      }
    }
    this.used += 2 * bytes;
    this.cuts += cuts;
    this.keptRows++;
    // The row's own JSON: its values, a comma between two, its brackets (no separator after it).
    this.rowsJson += bytes - (this.limits.rowOverheadBytes ?? 0) - (row.length === 0 ? 0 : 1);
    return copy ?? row;
  }

  /**
   * The JSON bytes of a value as it will be kept, or OVER. When the value had to be cut,
   * `lastCut` holds what is kept instead (a field, not a fresh object per value: this runs
   * for every value of every row).
   */
  private weigh(value: unknown): number {
    this.lastCut = undefined;
    const limit = this.limits.maxValueBytes;
    if (typeof value === 'string') {
      // UTF-8 never has fewer bytes than UTF-16 code units: a string longer than the limit in units is over it.
      // Nothing past the whole budget can be kept: that bounds the work when values are never cut.
      const stop = Math.min(limit, this.limits.maxBytes);
      const bytes = value.length > stop ? stop + 1 : stringJsonBytes(value);
      return bytes <= limit ? bytes : this.cut(value);
    }
    if (value === null || value === undefined) return 4;
    // JSON.stringify's text, without a call per value: what JSON writes for a finite number is String's (else null).
    if (typeof value === 'number') return Number.isFinite(value) ? String(value).length : 4;
    if (typeof value === 'boolean') return value ? 4 : 5;
    if (typeof value === 'object') {
      const stop = Math.min(limit, this.limits.maxBytes);
      const bytes = jsonBytesWithin(value, stop);
      return bytes <= limit ? bytes : this.cut(boundedJson(value, stop).text);
    }
    return String(value).length;
  }

  /** Cuts `text` to its start and the marker, one string whose JSON fits the value limit; OVER when values are never cut. */
  private cut(text: string): number {
    const limit = this.limits.maxValueBytes;
    if (!Number.isFinite(limit)) return OVER;
    const prefix = prefixWithin(text, Math.max(0, limit - 2 - this.markerBytes));
    this.lastCut = prefix.text + this.marker;
    return prefix.bytes + 2 + this.markerBytes;
  }
}
