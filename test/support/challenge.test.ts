import { describe, expect, it } from 'vitest';
import { parseChallenge } from './challenge.ts';

// The auth tests read every refusal through this parser: it must reject what a sloppy
// header would look like, or those tests could pass on a malformed challenge.
describe('parseChallenge (test support)', () => {
  it('reads the scheme and quoted and token auth-params, unescaping quoted pairs', () => {
    expect(parseChallenge('Bearer realm="a \\"b\\"", error=invalid_token, Scope="x y"')).toEqual({
      scheme: 'Bearer',
      params: { realm: 'a "b"', error: 'invalid_token', scope: 'x y' },
    });
    expect(parseChallenge('Bearer')).toEqual({ scheme: 'Bearer', params: {} });
  });

  it.each([
    ['a missing header', null],
    ['an empty header', ''],
    ['a repeated parameter', 'Bearer error="a", error="b"'],
    ['an unterminated quoted string', 'Bearer error="invalid_token'],
    ['text that is not an auth-param', 'Bearer error="invalid_token" garbage'],
    ['a missing comma', 'Bearer a="1" b="2"'],
  ])('throws on %s', (_name, header) => {
    expect(() => parseChallenge(header)).toThrow();
  });
});
