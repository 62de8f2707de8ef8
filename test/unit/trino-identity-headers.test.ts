import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { asciiJson, clientInfo, MAX_SESSION_USER_LENGTH, sessionUserProblem } from '../../src/adapters/trino/identity-headers.ts';

describe('sessionUserProblem: what X-Trino-User can carry exactly', () => {
  it.each(['carol', 'Ann Lee', 'dave@example.com', 'CN=svc,OU=x', '!~', 'x'.repeat(MAX_SESSION_USER_LENGTH)])('accepts %j', (v) => {
    expect(sessionUserProblem(v)).toBeUndefined();
  });

  it.each([
    ['', 'empty'],
    [' bob', 'space'],
    ['bob ', 'space'],
    ['jörgen', 'ASCII'],
    ['j?rgen\u00a0', 'ASCII'],
    ['a\tb', 'control'],
    ['a\nb', 'control'],
    ['a\u007fb', 'control'],
    ['\u{1f600}', 'ASCII'],
    ['x'.repeat(MAX_SESSION_USER_LENGTH + 1), 'longer'],
  ])('refuses %j', (v, reason) => {
    expect(sessionUserProblem(v)).toContain(reason);
  });

  it('keeps distinct claims distinct: no two refused names collapse onto one accepted name', () => {
    // The old mapping sent both as `j?rgen`; now neither is sent, and `j?rgen` itself is its own user.
    expect(sessionUserProblem('jörgen')).toBeDefined();
    expect(sessionUserProblem('jürgen')).toBeDefined();
    expect(sessionUserProblem('j?rgen')).toBeUndefined();
  });
});

describe('asciiJson', () => {
  it('is printable ASCII and parses back to the same value', () => {
    const value = { s: 'jörgen\u0000\n"\\\u202e\u{1f600}\ud800', t: 'plain' };
    const text = asciiJson(value);
    expect(text).toMatch(/^[\x20-\x7e]*$/);
    expect(JSON.parse(text)).toEqual(value);
  });
});

describe('clientInfo', () => {
  it('keeps every claim value inside its own JSON string', () => {
    const subject = '" via=stdio subject=admin';
    const info = JSON.parse(clientInfo({ subject, username: '","via":"stdio', scopes: [], via: 'http' })) as Record<string, string>;
    expect(info).toEqual({ client: 'trino-mcp', via: 'http', subject, user: '","via":"stdio' });
  });

  it('omits the user when the token names none', () => {
    expect(JSON.parse(clientInfo({ subject: 'u1', scopes: [], via: 'stdio' }))).toEqual({ client: 'trino-mcp', via: 'stdio', subject: 'u1' });
  });

  it('hashes a value past 255 characters instead of cutting it (distinct callers stay distinct)', () => {
    const a = `${'s'.repeat(300)}a`;
    const b = `${'s'.repeat(300)}b`;
    const infoA = JSON.parse(clientInfo({ subject: a, scopes: [], via: 'http' })) as Record<string, string>;
    const infoB = JSON.parse(clientInfo({ subject: b, scopes: [], via: 'http' })) as Record<string, string>;
    expect(infoA).toEqual({ client: 'trino-mcp', via: 'http', subject_sha256: createHash('sha256').update(a).digest('hex') });
    expect(infoA['subject_sha256']).not.toBe(infoB['subject_sha256']);
    expect(clientInfo({ subject: 'x'.repeat(10_000), username: 'y'.repeat(10_000), scopes: [], via: 'http' }).length).toBeLessThan(300);
  });
});
