/**
 * Subscriptions run through graphql-jit: the `notifications` selection is compiled once per
 * document, so each live item is resolved and serialized by generated code instead of graphql-js
 * walking the document again (fan-out runs it once per item per stream). Queries and mutations
 * keep graphql-js: they run once per request, and their error handling stays the stock one.
 */
import { useGraphQlJit } from '@envelop/graphql-jit';
import { type DocumentNode, Kind } from 'graphql';

const isSubscription = (document: DocumentNode) =>
  document.definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION && d.operation === 'subscription');

export const useCompiledSubscriptions = () => useGraphQlJit({}, { enableIf: (args) => isSubscription(args.document) });
