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
      validate: (value: unknown) => std.validate(value),
      jsonSchema: { input: once('input'), output: once('output') },
    },
  } as StandardSchemaWithJSON;
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
