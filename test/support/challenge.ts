/** A parsed `WWW-Authenticate` challenge (RFC 9110 §11.6.1): `Bearer k="v", k2=token`. */
export interface Challenge {
  readonly scheme: string;
  /** auth-params by lower-cased name, quoted-string values unescaped. */
  readonly params: Readonly<Record<string, string>>;
}

/**
 * Parses one challenge strictly: throws when the header is missing, when a parameter is
 * repeated, or when anything is left that is not an auth-param, so a sloppy header fails
 * the test instead of being read generously.
 */
export function parseChallenge(header: string | null | undefined): Challenge {
  if (!header) throw new Error('no WWW-Authenticate header');
  const m = /^\s*([A-Za-z][\w-]*)(?:\s+(.*))?$/s.exec(header);
  if (!m) throw new Error(`WWW-Authenticate is not a challenge: ${header}`);
  const params: Record<string, string> = {};
  const rest = m[2] ?? '';
  const re = /\s*([A-Za-z_][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+))\s*(?:,|$)/gy;
  let consumed = 0;
  for (let p = re.exec(rest); p; p = re.exec(rest)) {
    const key = p[1]!.toLowerCase();
    if (key in params) throw new Error(`duplicate auth-param ${key} in WWW-Authenticate: ${header}`);
    params[key] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3]!;
    consumed = re.lastIndex;
  }
  if (rest.slice(consumed).trim() !== '') throw new Error(`unparsed rest of WWW-Authenticate: ${header}`);
  return { scheme: m[1]!, params };
}
