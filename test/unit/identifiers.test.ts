import { describe, expect, it } from 'vitest';
import { quoteIdentifier, quoteLiteral, quoteQualified, resolveTableName, splitQualifiedName } from '../../src/domain/identifiers.ts';
import { expectDomainError, thrownBy } from './support/domain-error.ts';

describe('quoteIdentifier', () => {
  it.each([
    ['orders', '"orders"'],
    ['MixedCase', '"MixedCase"'],
    ['with space', '"with space"'],
    ['a"b', '"a""b"'],
    ['"', '""""'],
    ['x"; DROP TABLE t; --', '"x""; DROP TABLE t; --"'],
    ['a.b', '"a.b"'],
  ])('quotes %j as %s', (name, quoted) => {
    expect(quoteIdentifier(name)).toBe(quoted);
  });

  it('rejects an empty identifier with INVALID_ARGUMENT', () => {
    expectDomainError(
      thrownBy(() => quoteIdentifier('')),
      'INVALID_ARGUMENT',
    );
  });

  it('quoteQualified quotes every part', () => {
    expect(quoteQualified('c', 's"x', 'T')).toBe('"c"."s""x"."T"');
  });

  it('quoteLiteral doubles single quotes', () => {
    expect(quoteLiteral("it's")).toBe("'it''s'");
  });
});

describe('splitQualifiedName', () => {
  it.each([
    ['t', ['t']],
    ['s.t', ['s', 't']],
    ['c.s.t', ['c', 's', 't']],
    [' c . s . t ', ['c', 's', 't']],
    ['"a.b".c', ['a.b', 'c']],
    ['"x""y"', ['x"y']],
    ['cat."my schema"."Tab.le"', ['cat', 'my schema', 'Tab.le']],
    ['MixedCase', ['MixedCase']],
  ])('splits %j', (input, parts) => {
    expect(splitQualifiedName(input)).toEqual(parts);
  });

  it.each([
    ['four parts', 'a.b.c.d'],
    ['an empty part in the middle', 'a..b'],
    ['a leading dot', '.t'],
    ['a trailing dot', 's.'],
    ['the empty string', ''],
    ['blanks only', '   '],
    ['an empty quoted part', '""'],
    ['an unbalanced quote', '"abc'],
    ['an unbalanced quote in the second part', 's."t'],
    ['a quote inside an unquoted part', 'a"b'],
    ['text after a quoted part', '"a"b'],
  ])('rejects %s with INVALID_ARGUMENT', (_what, input) => {
    expectDomainError(
      thrownBy(() => splitQualifiedName(input)),
      'INVALID_ARGUMENT',
    );
  });
});

describe('resolveTableName', () => {
  const defaults = { catalog: 'dcat', schema: 'dsch' };

  it('fills catalog and schema from the defaults', () => {
    expect(resolveTableName('t', {}, defaults)).toEqual({ catalog: 'dcat', schema: 'dsch', table: 't' });
  });

  it('prefers the explicit arguments over the defaults', () => {
    expect(resolveTableName('t', { catalog: 'acat', schema: 'asch' }, defaults)).toEqual({
      catalog: 'acat',
      schema: 'asch',
      table: 't',
    });
  });

  it('prefers parts written in the name over the arguments', () => {
    expect(resolveTableName('s.t', { catalog: 'acat', schema: 'asch' }, defaults)).toEqual({
      catalog: 'acat',
      schema: 's',
      table: 't',
    });
    expect(resolveTableName('c.s.t', { catalog: 'acat', schema: 'asch' }, defaults)).toEqual({
      catalog: 'c',
      schema: 's',
      table: 't',
    });
  });

  it('keeps quoted parts verbatim', () => {
    expect(resolveTableName('"we.ird"."Sch""ema"."T"', {}, {})).toEqual({ catalog: 'we.ird', schema: 'Sch"ema', table: 'T' });
  });

  it('fails with INVALID_ARGUMENT when no catalog is known', () => {
    expectDomainError(
      thrownBy(() => resolveTableName('s.t', {}, { schema: 'dsch' })),
      'INVALID_ARGUMENT',
    );
  });

  it('fails with INVALID_ARGUMENT when no schema is known', () => {
    expectDomainError(
      thrownBy(() => resolveTableName('t', { catalog: 'c' }, {})),
      'INVALID_ARGUMENT',
    );
  });

  it('rejects a malformed name before resolving', () => {
    expectDomainError(
      thrownBy(() => resolveTableName('a.b.c.d', {}, defaults)),
      'INVALID_ARGUMENT',
    );
  });
});
