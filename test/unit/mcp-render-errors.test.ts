import { describe, expect, it } from 'vitest';
import { toolError } from '../../src/adapters/mcp/errors.ts';
import { renderList, renderTable } from '../../src/adapters/mcp/render.ts';
import { DomainError, POLICY_RULES, policyDenied, type ErrorCode, type PolicyRule } from '../../src/domain/errors.ts';
import type { TabularResult } from '../../src/domain/model.ts';
import { CapturingLogger } from '../fakes/capturing-logger.ts';

const columns = [
  { name: 'id', type: 'integer' },
  { name: 'note', type: 'varchar' },
];

/** The limits a footer names: a row cap, and the default byte limits. */
const limits = (maxRows: number) => ({ maxRows, maxResultBytes: 4 * 1024 * 1024, maxValueBytes: 64 * 1024 });

function table(rows: unknown[][], truncated = false): TabularResult {
  return { columns, rows, rowCount: rows.length, truncated };
}

describe('renderTable', () => {
  it('writes csv by default: a header of name (type), one line a row and a row-count footer', () => {
    expect(renderTable(table([[1, 'a'], [2, 'b']]), limits(100))).toBe('id (integer),note (varchar)\n1,a\n2,b\n(2 rows)');
  });

  it('says "1 row" for one row and "0 rows" for none', () => {
    expect(renderTable(table([[1, 'a']]), limits(100)).split('\n').at(-1)).toBe('(1 row)');
    expect(renderTable(table([]), limits(100)).split('\n').at(-1)).toBe('(0 rows)');
  });

  it('tells NULL (an empty field) from the empty string ("") in csv', () => {
    expect(renderTable(table([[null, ''], [undefined, 'x']]), limits(100)).split('\n').slice(1, 3)).toEqual([',""', ',x']);
  });

  it('quotes commas, quotes and edge spaces, and shows line breaks as \\n, so a row stays one line', () => {
    const out = renderTable(table([[1, 'a,b "c"\nd\re'], [2, ' x']]), limits(100));
    expect(out.split('\n')).toHaveLength(4);
    expect(out.split('\n')[1]).toBe('1,"a,b ""c""\\nd\\re"');
    expect(out.split('\n')[2]).toBe('2," x"');
  });

  it('renders objects and arrays as JSON, and other values with String()', () => {
    const out = renderTable(table([[{ k: 'v\n' }, [1, 2]], [true, 1.5]]), limits(100)).split('\n');
    expect(out[1]).toBe('"{""k"":""v\\n""}","[1,2]"');
    expect(out[2]).toBe('true,1.5');
  });

  it('keeps duplicate column names in order', () => {
    const dup: TabularResult = { columns: [{ name: 'x', type: 'integer' }, { name: 'x', type: 'varchar' }], rows: [[1, 'a']], rowCount: 1, truncated: false };
    expect(renderTable(dup, limits(10)).split('\n')[0]).toBe('x (integer),x (varchar)');
  });

  // Regression: src/adapters/mcp/render.ts, renderTable header.
  it('keeps column names with line breaks and commas on the header line', () => {
    const odd: TabularResult = { columns: [{ name: 'a\nb', type: 'integer' }, { name: 'c,d', type: 'integer' }], rows: [[1, 2]], rowCount: 1, truncated: false };
    const lines = renderTable(odd, limits(10)).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe('a\\nb (integer),"c,d (integer)"');
  });

  it('says when the result was truncated, with the cap', () => {
    const footer = renderTable(table([[1, 'a'], [2, 'b']], true), limits(2)).split('\n').at(-1)!;
    expect(footer).toMatch(/^\(2 rows shown; more exist/);
    expect(footer).toContain('cap is 2');
    expect(renderTable(table([[1, 'a']], false), limits(1)).split('\n').at(-1)).toBe('(1 row)');
  });
});

describe('renderList', () => {
  it('lists names under a counted title', () => {
    expect(renderList('Catalogs', { names: ['a', 'b'], truncated: false }, 4096)).toBe('Catalogs (2):\na\nb');
    expect(renderList('Catalogs', { names: ['a'], truncated: true, truncatedBy: 'rows' }, 4096)).toBe('Catalogs (1, truncated):\na');
    expect(renderList('Catalogs', { names: [], truncated: false }, 4096)).toBe('Catalogs (0):');
  });

  it('says when the size limit ended the listing', () => {
    expect(renderList('Catalogs', { names: ['a'], truncated: true, truncatedBy: 'bytes' }, 4096)).toBe('Catalogs (1, truncated at the size limit of 4096 bytes):\na');
  });
});

describe('toolError', () => {
  const codes: ErrorCode[] = ['QUERY_INVALID', 'POLICY_DENIED', 'INVALID_ARGUMENT', 'NOT_FOUND', 'TIMEOUT', 'CANCELLED', 'ENGINE_UNAVAILABLE'];

  it.each(codes)('maps DomainError %s to isError with structuredContent.code and its message', (code) => {
    const log = new CapturingLogger();
    const result = toolError(new DomainError(code, `message for ${code}`, { queryId: 'q1' }), log, 'execute_query');
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({ code, message: `message for ${code}`, queryId: 'q1' });
    expect(result.content).toHaveLength(1);
    const text = (result.content[0] as { type: string; text: string }).text;
    expect(text.startsWith(`${code}: message for ${code}\n`)).toBe(true);
    expect(text.split('\n')[1]!.length).toBeGreaterThan(0); // a hint for the model
    expect(log.entries).toEqual([]);
  });

  it('carries the details (errorName, rule, retryable) into structuredContent', () => {
    const log = new CapturingLogger();
    const invalid = toolError(new DomainError('QUERY_INVALID', 'line 1:8: x', { errorName: 'SYNTAX_ERROR', queryId: 'q' }), log, 't');
    expect(invalid.structuredContent).toEqual({ code: 'QUERY_INVALID', message: 'line 1:8: x', errorName: 'SYNTAX_ERROR', queryId: 'q' });
    const denied = toolError(new DomainError('POLICY_DENIED', 'no', { rule: 'READ_ONLY' }), log, 't');
    expect(denied.structuredContent).toMatchObject({ code: 'POLICY_DENIED', rule: 'READ_ONLY' });
    const down = toolError(new DomainError('ENGINE_UNAVAILABLE', 'down', { retryable: false }), log, 't');
    expect(down.structuredContent).toMatchObject({ code: 'ENGINE_UNAVAILABLE', retryable: false });
  });

  it('gives ENGINE_UNAVAILABLE a different hint when retrying will not help', () => {
    const log = new CapturingLogger();
    const text = (r: ReturnType<typeof toolError>) => (r.content[0] as { text: string }).text;
    const retryable = text(toolError(new DomainError('ENGINE_UNAVAILABLE', 'x', { retryable: true }), log, 't'));
    const fatal = text(toolError(new DomainError('ENGINE_UNAVAILABLE', 'x', { retryable: false }), log, 't'));
    expect(retryable).not.toBe(fatal);
  });

  it.each([
    ['an Error', new Error('boom at /secret/path')],
    ['a thrown string', 'boom at /secret/path'],
    ['a DomainError INTERNAL', new DomainError('INTERNAL', 'boom at /secret/path')],
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'boom at /secret/path')")],
  ])('turns %s into INTERNAL with a ref, hiding the details from the client', (_what, err) => {
    const log = new CapturingLogger();
    const result = toolError(err, log, 'list_catalogs');
    expect(result.isError).toBe(true);
    const structured = result.structuredContent as { code: string; ref: string; message: string };
    expect(structured.code).toBe('INTERNAL');
    expect(structured.ref).toMatch(/^[0-9a-f]{8}$/);
    const wire = JSON.stringify(result);
    expect(wire).not.toContain('boom');
    expect(wire).not.toContain('/secret/path');
    expect((result.content[0] as { text: string }).text).toContain(structured.ref);
    // The log has the details, under the same ref.
    const logged = log.entries.filter((e) => e.level === 'error');
    expect(logged).toHaveLength(1);
    expect(logged[0]!.fields).toMatchObject({ tool: 'list_catalogs', ref: structured.ref });
    expect(String(logged[0]!.fields['error'])).toContain('boom at /secret/path');
  });

  it('uses a fresh ref per failure', () => {
    const log = new CapturingLogger();
    const a = toolError(new Error('x'), log, 't').structuredContent as { ref: string };
    const b = toolError(new Error('x'), log, 't').structuredContent as { ref: string };
    expect(a.ref).not.toBe(b.ref);
  });
});

describe('toolError hints per policy rule', () => {
  const hintOf = (rule: PolicyRule) => {
    const result = toolError(policyDenied(rule, 'refused'), new CapturingLogger(), 't');
    return (result.content[0] as { type: string; text: string }).text.split('\n')[1]!;
  };

  it('gives every rule a hint of its own', () => {
    const hints = POLICY_RULES.map(hintOf);
    for (const hint of hints) expect(hint.length).toBeGreaterThan(0);
    expect(new Set(hints).size).toBe(POLICY_RULES.length);
  });

  it('tells only a write refused by a read-only tool to rephrase it as a read', () => {
    expect(hintOf('READ_ONLY')).toMatch(/rephrase it as a read/);
    for (const rule of POLICY_RULES.filter((r) => r !== 'READ_ONLY')) expect(hintOf(rule), rule).not.toMatch(/rephrase it as a read/);
    expect(hintOf('ALLOWLIST')).toContain('list_catalogs');
    expect(hintOf('SINGLE_STATEMENT')).toMatch(/each statement/i);
  });
});
