import { describe, expect, it } from 'vitest';
import { Access } from '../../src/domain/access.ts';
import { isLoopbackHost } from '../../src/domain/loopback.ts';
import type { Principal } from '../../src/domain/model.ts';

const who = (scopes: string[]): Principal => ({ subject: 's', scopes, via: 'test' });

describe('Access: who may call what', () => {
  it('without writes enabled nobody may write, whatever their scopes', () => {
    const access = new Access({ allowWrites: false, requiredScopes: [], writeScope: 'w' });
    expect(access.offered('write')).toBe(false);
    expect(access.allows(who(['w']), 'write')).toBe(false);
    expect(access.allows(who([]), 'read')).toBe(true);
  });

  it('with writes enabled and no write scope everyone may write', () => {
    const access = new Access({ allowWrites: true, requiredScopes: ['r'] });
    expect(access.allows(who([]), 'write')).toBe(true);
    expect(access.scopesFor('write')).toEqual(['r']);
  });

  it('with a write scope only its holders may write; the scopes needed add it to the required ones', () => {
    const access = new Access({ allowWrites: true, requiredScopes: ['r'], writeScope: 'w' });
    expect(access.allows(who(['r']), 'write')).toBe(false);
    expect(access.allows(who(['r', 'w']), 'write')).toBe(true);
    expect(access.scopesFor('read')).toEqual(['r']);
    expect(access.scopesFor('write')).toEqual(['r', 'w']);
  });
});

describe('isLoopbackHost: the one definition of loopback', () => {
  it.each(['localhost', 'LOCALHOST', '127.0.0.1', '127.0.0.2', '127.255.255.254', '::1', '[::1]'])('%s is loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each(['0.0.0.0', '10.0.0.1', '128.0.0.1', '127.0.0', '127.0.0.1.evil.example', '127.0.0.256', 'localhost.evil.example', '::2', 'example.com', ''])(
    '%j is not loopback',
    (host) => {
      expect(isLoopbackHost(host)).toBe(false);
    },
  );
});
