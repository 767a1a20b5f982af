/**
 * Operation limits, declared once where requests enter (HTTP and graphql-ws use the same envelop
 * plugins): GraphQL Armor's token, depth, alias and directive limits, and the multiplicative cost
 * limit (operation-cost.ts). Each refusal is a request error with a code from OPERATION_LIMIT_CODES,
 * thrown at the first sign of excess: the token limit stops the lexer mid-document, the others
 * stop validation as it enters the operation, before any rule walks its selections, so a refused
 * bomb costs about as much as reading it. In production field suggestions are hidden too.
 *
 * Yoga caches parsed documents and validation results: a document seen valid before is answered
 * from the cache without running any rule. Its structural limits cannot change, so their rules are
 * not even built for it; its cost can (variables), so the cost limit checks it on every request.
 */
import { blockFieldSuggestionsPlugin } from '@escape.tech/graphql-armor-block-field-suggestions';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { type DocumentNode, GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Config } from '../config.js';
import { useOperationCostLimit } from './operation-cost.js';

export const OPERATION_LIMIT_CODES = {
  tokens: 'TOO_MANY_TOKENS',
  depth: 'QUERY_TOO_DEEP',
  aliases: 'TOO_MANY_ALIASES',
  directives: 'TOO_MANY_DIRECTIVES',
  cost: 'QUERY_TOO_COSTLY',
} as const;

export type OperationLimitsConfig = Pick<
  Config,
  'production' | 'maxQueryDepth' | 'maxQueryAliases' | 'maxQueryTokens' | 'maxQueryDirectives' | 'maxQueryCost'
>;

/** Armor reports `Syntax Error: …` without a code: rethrow it as a coded 400 at once. */
const refuseWith = (code: string, limit: number) => (_context: unknown, error: GraphQLError) => {
  throw new GraphQLError(error.message.replace(/^Syntax Error: /, ''), { extensions: { code, limit, http: { status: 400 } } });
};

/** Runs the structural limits' validation hooks only for documents not yet validated with them. */
function onceValid(plugins: Plugin[], validated: WeakSet<DocumentNode>): Plugin {
  const hooks = plugins.flatMap((plugin) => (plugin.onValidate ? [plugin.onValidate] : []));
  return {
    onValidate(payload) {
      const document = payload.params.documentAST;
      if (validated.has(document)) return;
      for (const hook of hooks) hook(payload);
      return ({ valid }) => {
        if (valid) validated.add(document);
      };
    },
  };
}

export function operationLimitPlugins(config: OperationLimitsConfig): Plugin[] {
  // Documents (yoga's parse cache hands out the same object for the same text) that passed every
  // limit once; one schema per app, so the document alone is the key.
  const validated = new WeakSet<DocumentNode>();
  const plugins: Plugin[] = [
    maxTokensPlugin({ n: config.maxQueryTokens, onReject: [refuseWith(OPERATION_LIMIT_CODES.tokens, config.maxQueryTokens)] }),
    onceValid(
      [
        maxDepthPlugin({ n: config.maxQueryDepth, onReject: [refuseWith(OPERATION_LIMIT_CODES.depth, config.maxQueryDepth)] }),
        maxAliasesPlugin({ n: config.maxQueryAliases, onReject: [refuseWith(OPERATION_LIMIT_CODES.aliases, config.maxQueryAliases)] }),
        maxDirectivesPlugin({
          n: config.maxQueryDirectives,
          onReject: [refuseWith(OPERATION_LIMIT_CODES.directives, config.maxQueryDirectives)],
        }),
      ],
      validated,
    ),
    useOperationCostLimit({
      maxCost: config.maxQueryCost,
      code: OPERATION_LIMIT_CODES.cost,
      isValidated: (document) => validated.has(document),
    }),
  ];
  if (config.production) plugins.push(blockFieldSuggestionsPlugin());
  return plugins;
}
