import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { opaqueRows, ToolDefinitions } from '../../src/adapters/mcp/tool-definitions.ts';
import { outputSchemas } from '../../src/adapters/mcp/schemas.ts';
import { TOOLS, type ToolEnv } from '../../src/adapters/mcp/tools.ts';

const ENV: ToolEnv = { maxRows: 1000, maxResultBytes: 4 << 20, maxValueBytes: 65536, timeoutMs: 300_000, canWrite: false, markUntrusted: true, cursorTtlMs: 300_000 };
const spec = TOOLS.find((t) => t.name === 'execute_query')!;

async function validate(value: unknown) {
  const std = new ToolDefinitions().of(spec, ENV).outputSchema['~standard'];
  return await std.validate(value);
}

describe('tabular output validation without walking every value', () => {
  it('recognises the tabular schemas, and only them', () => {
    expect(opaqueRows(outputSchemas.execute_query)).toBe(true);
    expect(opaqueRows(outputSchemas.fetch_more)).toBe(true);
    expect(opaqueRows(outputSchemas.list_catalogs)).toBe(false);
    expect(opaqueRows(z.object({ rows: z.array(z.array(z.string())) }))).toBe(false);
  });

  it('accepts a result, and hands back its rows', async () => {
    const value = { columns: [{ name: 'a', type: 'bigint' }], rows: [[1], ['9007199254740993'], [{ nested: [null] }]], rowCount: 3, truncated: false };
    const r = (await validate(value)) as { issues?: unknown; value?: { rows: unknown } };
    expect(r.issues).toBeUndefined();
    expect(r.value?.rows).toEqual(value.rows);
  });

  it('still refuses a row that is not an array, and a wrong field elsewhere', async () => {
    const rowNotArray = (await validate({ columns: [], rows: [[1], 'x'], rowCount: 2, truncated: false })) as { issues?: unknown[] };
    expect(rowNotArray.issues?.length).toBeGreaterThan(0);
    const wrongCount = (await validate({ columns: [], rows: [[1]], rowCount: 'one', truncated: false })) as { issues?: unknown[] };
    expect(wrongCount.issues?.length).toBeGreaterThan(0);
    const wrongColumns = (await validate({ columns: [{ name: 1 }], rows: [], rowCount: 0, truncated: false })) as { issues?: unknown[] };
    expect(wrongColumns.issues?.length).toBeGreaterThan(0);
  });
});
