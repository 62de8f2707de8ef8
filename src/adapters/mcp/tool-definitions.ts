import type { StandardSchemaWithJSON, ToolAnnotations } from '@modelcontextprotocol/server';
import type { z } from 'zod';
import type { ToolEnv, ToolSpec } from './tools.ts';

/** What registerTool is given for one tool. */
export interface ToolDefinition {
  readonly title: string;
  readonly description: string;
  readonly inputSchema: StandardSchemaWithJSON;
  readonly outputSchema: StandardSchemaWithJSON;
  readonly annotations: ToolAnnotations;
}

type JsonSchemaOptions = Parameters<StandardSchemaWithJSON['~standard']['jsonSchema']['input']>[0];

/**
 * The schema as zod validates it, with its JSON Schema converted once: the SDK converts a
 * tool's schemas on every tools/list, and over HTTP every request has a server of its own,
 * so the conversion ran for every request (most of the CPU of a tools/list).
 */
function convertedOnce(schema: z.ZodType): StandardSchemaWithJSON {
  const std = schema['~standard'] as unknown as StandardSchemaWithJSON['~standard'];
  const validate = opaqueRows(schema) ? validateWithOpaqueRows(std) : (value: unknown) => std.validate(value);
  const memo = new Map<string, Record<string, unknown>>();
  const once = (io: 'input' | 'output') => (options: JsonSchemaOptions) => {
    const key = `${io}\u0000${JSON.stringify(options)}`;
    let json = memo.get(key);
    if (!json) memo.set(key, (json = std.jsonSchema[io](options)));
    return json;
  };
  return {
    '~standard': {
      version: 1,
      vendor: std.vendor,
      validate,
      jsonSchema: { input: once('input'), output: once('output') },
    },
  } as StandardSchemaWithJSON;
}

/** Whether the schema is an object whose `rows` are arrays of anything (the tabular results). */
export function opaqueRows(schema: z.ZodType): boolean {
  type Def = { type?: string; element?: { def?: Def }; innerType?: { def?: Def } };
  const unwrap = (def: Def | undefined): Def | undefined => (def?.type === 'optional' ? unwrap(def.innerType?.def) : def);
  const rows = unwrap((schema as unknown as { shape?: Record<string, { def?: Def }> }).shape?.['rows']?.def);
  const row = unwrap(rows?.type === 'array' ? rows.element?.def : undefined);
  return row?.type === 'array' && row.element?.def?.type === 'unknown';
}

/**
 * Validates a tabular result without walking every value of its rows: `rows` may hold any
 * value, so what the schema asks of them is only that each row is an array, which is
 * checked here; the rest of the result goes through zod with its rows left out. Walking
 * 10,000 rows value by value took 6 ms of a 10,000-row call for no check at all.
 */
function validateWithOpaqueRows(std: StandardSchemaWithJSON['~standard']) {
  return (value: unknown) => {
    if (typeof value !== 'object' || value === null || !Array.isArray((value as { rows?: unknown }).rows)) return std.validate(value);
    const rows = (value as { rows: unknown[] }).rows;
    if (!rows.every((row) => Array.isArray(row))) return std.validate(value);
    const result = std.validate({ ...value, rows: [] });
    // What passed is zod's value with the rows put back, as zod would have returned them.
    return result instanceof Promise ? result.then((r) => withRows(r, rows)) : withRows(result, rows);
  };
}

function withRows<R>(result: R, rows: unknown[]): R {
  const r = result as { issues?: unknown; value?: Record<string, unknown> };
  return (r.issues || !r.value ? result : { ...r, value: { ...r.value, rows } }) as R;
}

/**
 * Each tool's definition, built once per process for each ToolEnv it is offered with
 * (descriptions and input schemas depend on the limits and on whether the caller may
 * write): a server per request then costs the registration, not the schemas.
 */
export class ToolDefinitions {
  private readonly cache = new Map<string, ToolDefinition>();

  of(spec: ToolSpec, env: ToolEnv): ToolDefinition {
    const key = `${spec.name}\u0000${JSON.stringify(env)}`;
    let definition = this.cache.get(key);
    if (!definition) {
      definition = {
        title: spec.title,
        description: spec.description(env),
        // Strict: an argument the tool does not know (a typo like `limt`) is refused, not silently ignored.
        inputSchema: convertedOnce(spec.input(env).strict()),
        outputSchema: convertedOnce(spec.output),
        annotations: spec.annotations,
      };
      this.cache.set(key, definition);
    }
    return definition;
  }
}
