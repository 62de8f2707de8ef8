import { describe, expect, it } from 'vitest';
import { parseTrinoJson } from '../../src/adapters/trino/trino-responses.ts';

describe('parseTrinoJson keeps every digit', () => {
  it('turns an integer beyond 2^53 into its digits, wherever it is in the page', () => {
    const text = '{"id":"q","data":[[1,"x",9007199254740993],[2,null,[-9223372036854775808,{"k":[18446744073709551615]}]]]}';
    expect(parseTrinoJson(text)).toEqual({
      id: 'q',
      data: [
        [1, 'x', '9007199254740993'],
        [2, null, ['-9223372036854775808', { k: ['18446744073709551615'] }]],
      ],
    });
  });

  it('keeps 2^53 itself as digits: a rounded neighbour would parse to the same number', () => {
    expect(parseTrinoJson('[9007199254740992, 9007199254740991]')).toEqual(['9007199254740992', 9007199254740991]);
  });

  it('leaves doubles as numbers, large or not, and digits in strings as they are', () => {
    expect(parseTrinoJson('[1.0E300, 1.5, "12345678901234567890", 12345678901234567]')).toEqual([1e300, 1.5, '12345678901234567890', '12345678901234567']);
    expect(parseTrinoJson('{"data":[[1.0E20,"99999999999999999999"]]}')).toEqual({ data: [[1e20, '99999999999999999999']] });
  });
});
