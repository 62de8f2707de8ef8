import { hkdfSync, randomBytes } from 'node:crypto';
import { openJwe, sealJwe } from './jwe.ts';
import { DomainError } from '../../domain/errors.ts';
import type { CursorCodec, PageCursor } from '../../ports/cursor-codec.ts';

/** Where the key comes from: MCP_CURSOR_SECRET, or a random one for this process alone. */
export interface CursorKeySource {
  readonly secret?: string | undefined;
  /**
   * What a cursor is valid for besides the secret (the Trino server): the same secret on
   * replicas of another cluster yields another key, so their cursors do not open here.
   */
  readonly context: string;
}

const HKDF_SALT = 'trino-mcp result cursor';
const VERSION = 1;

/** A 256-bit AES-GCM key from the operator's secret (HKDF-SHA256), bound to the context. */
export function cursorKey(source: CursorKeySource): Uint8Array {
  const secret = source.secret !== undefined ? Buffer.from(source.secret, 'utf8') : randomBytes(32);
  return new Uint8Array(hkdfSync('sha256', secret, HKDF_SALT, `v${VERSION} ${source.context}`, 32));
}

function invalid(cause?: unknown): DomainError {
  return new DomainError('CURSOR_INVALID', 'This is not a cursor this server issued.', {}, cause ? { cause } : undefined);
}

const isString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Checks a decrypted payload field by field: what the key authenticates is still only trusted in this shape. */
function parse(plaintext: Uint8Array): PageCursor {
  let p: Record<string, unknown>;
  try {
    p = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext)) as Record<string, unknown>;
  } catch (err) {
    throw invalid(err);
  }
  if (typeof p !== 'object' || p === null || p.v !== VERSION) throw invalid();
  const { q, u, k, o, e, n } = p;
  if (!isString(q) || !isString(u) || !isCount(k) || !isString(o) || !isCount(e) || !isCount(n) || n < 1) throw invalid();
  return { queryId: q, at: { page: u, skip: k }, owner: o, expiresAt: e, pageRows: n };
}

/** Cursors as compact JWE (dir, A256GCM): jose does the authenticated encryption. */
export class JweCursorCodec implements CursorCodec {
  private readonly key: Uint8Array;

  constructor(source: CursorKeySource) {
    this.key = cursorKey(source);
  }

  seal(c: PageCursor): Promise<string> {
    const payload = { v: VERSION, q: c.queryId, u: c.at.page, k: c.at.skip, o: c.owner, e: c.expiresAt, n: c.pageRows };
    return sealJwe(JSON.stringify(payload), this.key);
  }

  async open(token: string): Promise<PageCursor> {
    let plaintext: Uint8Array;
    try {
      plaintext = await openJwe(token, this.key);
    } catch (err) {
      throw invalid(err);
    }
    return parse(plaintext);
  }
}
