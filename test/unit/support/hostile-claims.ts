/**
 * Claims sets a signed token may carry that must not be accepted as they are, as raw JSON
 * text: `1e999` cannot be written by a JWT library (it parses to Infinity), so the tests
 * sign the bytes themselves (jose's CompactSign).
 */
const now = () => Math.floor(Date.now() / 1000);
const YEAR = 365 * 24 * 3600;

/** The claims every test token starts from; `aud` and `iss` are filled in by the caller. */
export function baseClaims(aud: string, iss?: string): Record<string, unknown> {
  return { sub: 'alice', aud, ...(iss ? { iss } : {}), iat: now(), exp: now() + 300 };
}

/** [what, JSON text of the claims set]: each must be refused with invalid_token. */
export function hostileClaimSets(aud: string, iss?: string): Array<[string, string]> {
  const base = baseClaims(aud, iss);
  const json = (patch: Record<string, unknown>) => JSON.stringify({ ...base, ...patch });
  /** The base claims with `claim` replaced by raw JSON text. */
  const raw = (claim: string, text: string) => {
    const rest: Record<string, unknown> = { ...base };
    delete rest[claim];
    return `${JSON.stringify(rest).slice(0, -1)},"${claim}":${text}}`;
  };
  return [
    ['sub ""', json({ sub: '' })],
    ['sub null', json({ sub: null })],
    ['sub a number', json({ sub: 42 })],
    ['sub an object', json({ sub: { id: 'alice' } })],
    ['sub an array', json({ sub: ['alice'] })],
    ['iat a year in the future', json({ iat: now() + YEAR })],
    ['exp 1e999 (Infinity: never expires)', raw('exp', '1e999')],
    ['iat 1e999', raw('iat', '1e999')],
    ['nbf -1e999', raw('nbf', '-1e999')],
    ['scope a number', json({ scope: 7 })],
    ['scope an object', json({ scope: { read: true } })],
    ['scope null', json({ scope: null })],
    ['scope an array with a non-string', json({ scope: ['trino:read', 5] })],
    ['scp a boolean', json({ scp: true })],
    ['preferred_username a number', json({ preferred_username: 42 })],
    ['preferred_username a number, upn a string (no fall-through)', json({ preferred_username: 42, upn: 'admin' })],
    ['upn an array', json({ upn: ['admin'] })],
    ['username null', json({ username: null })],
    ['email an object', json({ email: { value: 'a@example.com' } })],
  ];
}

/** Already refused by jose; kept so that a jose upgrade that stops refusing them fails a test. */
export function joseRefusedClaimSets(aud: string, iss?: string): Array<[string, string]> {
  const base = baseClaims(aud, iss);
  const json = (patch: Record<string, unknown>) => JSON.stringify({ ...base, ...patch });
  return [
    ['iat a string', json({ iat: String(now()) })],
    ['exp a string', json({ exp: String(now() + 300) })],
    ['nbf null', json({ nbf: null })],
    ['nbf a year in the future', json({ nbf: now() + YEAR })],
    ['no sub', json({ sub: undefined })],
  ];
}
