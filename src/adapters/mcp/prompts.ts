import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { resourceUri } from './resource-uri.ts';

/** Arguments are names, never documents: one bound for all, as search_tables bounds its pattern. */
const name = (what: string) => z.string().min(1).max(256).describe(what);
const QUESTION_MAX = 4000;

/**
 * Prompts that start a user off. They only put the names into words for the model: every
 * object is then reached through the tools, which the allowlist and the scopes guard, so
 * a prompt naming an outside table yields refusals, not data. The names are completable
 * (completion/complete, completions.ts).
 */
export const PROMPTS = {
  explore_schema: z.object({ catalog: name('Catalog to explore.'), schema: name('Schema to explore.') }),
  query_table: z.object({
    catalog: name('Catalog of the table.'),
    schema: name('Schema of the table.'),
    table: name('The table the question is about.'),
    question: z.string().min(1).max(QUESTION_MAX).describe('What to find out, in plain words.'),
  }),
} as const;

export function registerPrompts(server: McpServer): void {
  server.registerPrompt(
    'explore_schema',
    {
      title: 'Explore a schema',
      description: 'Walks through the tables of one schema: what each holds, how they join, and what to ask of them.',
      argsSchema: PROMPTS.explore_schema,
    },
    ({ catalog, schema }) => ({
      description: `Explore ${catalog}.${schema}`,
      messages: [
        {
          role: 'user',
          content: {
            type: 'text',
            text:
              `Explore the Trino schema ${catalog}.${schema} (resource ${resourceUri({ catalog, schema })}). ` +
              'List its tables with list_tables, describe the most relevant ones with get_table_schema (include "sample" ' +
              'to see values), and use search_tables to find related columns. Then summarise what each table holds, the ' +
              'keys that join them, and three questions this data can answer.',
          },
        },
      ],
    }),
  );
  server.registerPrompt(
    'query_table',
    {
      title: 'Answer a question with SQL',
      description: 'Answers a question about one table by writing and running a read-only Trino query.',
      argsSchema: PROMPTS.query_table,
    },
    ({ catalog, schema, table, question }) => ({
      description: `Answer a question about ${catalog}.${schema}.${table}`,
      messages: [
        {
          role: 'user',
          content: {
            type: 'text',
            text:
              `Using the Trino table ${catalog}.${schema}.${table} (resource ${resourceUri({ catalog, schema, table })}), answer: ` +
              `${question}\n\nFirst call get_table_schema for its columns and comments. Then write one read-only SQL query ` +
              'with fully qualified names, preferring aggregations and a LIMIT, run it with execute_query, and answer ' +
              'from the rows it returns, showing the SQL you ran.',
          },
        },
      ],
    }),
  );
}
