import type { McpServer, ServerCapabilities } from '@modelcontextprotocol/server';
import { registerCompletions } from './completions.ts';
import { registerPrompts } from './prompts.ts';
import { registerResources, type FeatureEnv } from './resources.ts';

/**
 * Exactly what the server serves. No list ever changes during a connection (the tools a
 * caller may call are fixed when its server is built; catalogs come and go without a
 * notification), so no `listChanged` is promised, and there are no subscriptions. The SDK
 * fills an absent `listChanged` with true, hence the explicit false.
 * test/unit/capabilities.test.ts compares this with what initialize declares and what answers.
 */
export const SERVED_CAPABILITIES = {
  tools: { listChanged: false },
  resources: { listChanged: false, subscribe: false },
  prompts: { listChanged: false },
  completions: {},
} as const satisfies ServerCapabilities;

/** Resources, prompts and completions: the catalog seen through MCP's own features, beside the tools. */
export function registerCatalogFeatures(server: McpServer, env: FeatureEnv): void {
  registerResources(server, env);
  registerPrompts(server);
  registerCompletions(server, env);
}
