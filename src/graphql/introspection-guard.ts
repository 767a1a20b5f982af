/**
 * Production mode: introspection (`__schema`, `__type`) answers only authenticated callers, so an
 * anonymous visitor cannot map the API. Checked at execution, once the context knows the viewer.
 */
import { BREAK, type DocumentNode, GraphQLError, visit } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Context } from '../context.js';

function asksIntrospection(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Field(node) {
      if (node.name.value === '__schema' || node.name.value === '__type') {
        found = true;
        return BREAK;
      }
      return undefined;
    },
  });
  return found;
}

export function useIntrospectionGuard(): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const context = args.contextValue as Partial<Context>;
      if (context.viewer?.kind !== 'anonymous' || !asksIntrospection(args.document)) return;
      setResultAndStopExecution({
        errors: [
          new GraphQLError('Introspection needs credentials: send "Authorization: Bearer …"', { extensions: { code: 'UNAUTHENTICATED' } }),
        ],
      });
    },
  };
}
