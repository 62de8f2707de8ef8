import { ProtocolError, ProtocolErrorCode, type McpServer } from '@modelcontextprotocol/server';
import type { NameKind } from '../../use-cases/browse.ts';
import { PROMPTS } from './prompts.ts';
import { guard, TEMPLATES, type FeatureEnv } from './resources.ts';

const NAME_ARGUMENTS: ReadonlySet<string> = new Set<NameKind>(['catalog', 'schema', 'table']);
const TEMPLATE_URIS: ReadonlySet<string> = new Set(Object.values(TEMPLATES));

/**
 * completion/complete for the catalog, schema and table arguments of the resource
 * templates and the prompts: names the caller may see that start with the value typed,
 * at most 100 (CompleteNames). The SDK's own handler hands its callbacks no request
 * context, so it cannot run as the request's principal (over the 2024-11-05 transport,
 * each POST's own) nor be cancelled: this one replaces it.
 */
export function registerCompletions(server: McpServer, env: FeatureEnv): void {
  server.server.setRequestHandler('completion/complete', async (request, ctx) => {
    const { ref, argument } = request.params;
    if (ref.type === 'ref/resource') {
      if (!TEMPLATE_URIS.has(ref.uri)) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Resource template ${ref.uri} not found.`);
    } else if (ref.type === 'ref/prompt') {
      if (!Object.hasOwn(PROMPTS, ref.name)) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Prompt ${ref.name} not found.`);
    } else throw new ProtocolError(ProtocolErrorCode.InvalidParams, 'Unknown completion reference.');
    if (!NAME_ARGUMENTS.has(argument.name)) return { completion: { values: [], hasMore: false } };
    const context = request.params.context?.arguments ?? {};
    const r = await env.run(ctx, 'completion/complete', (principal, signal) =>
      guard(
        () =>
          env.useCases.completeNames.execute(
            { kind: argument.name as NameKind, prefix: argument.value, catalog: context['catalog'], schema: context['schema'] },
            principal,
            signal,
          ),
        env.log,
        ref.type === 'ref/resource' ? ref.uri : ref.name,
      ),
    );
    return { completion: { values: r.values, hasMore: r.hasMore } };
  });
}
