/**
 * The Pothos builder: plugins, auth scopes, error types and scalars. No GraphQL types live here.
 */
import SchemaBuilder from '@pothos/core';
import DataloaderPlugin from '@pothos/plugin-dataloader';
import ErrorsPlugin from '@pothos/plugin-errors';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import SimpleObjectsPlugin from '@pothos/plugin-simple-objects';
import { GraphQLError } from 'graphql';
import type { Context } from '../context.js';
import { AppError } from '../errors.js';
import type PrismaTypes from '../generated/pothos-types.js';
import { getDatamodel } from '../generated/pothos-types.js';
import { DEFAULT_CONNECTION_SIZE, MAX_CONNECTION_SIZE } from './connection-size.js';
import InputChecksPlugin from './input-checks-plugin.js';

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  AuthScopes: { integrator: boolean; operator: boolean; admin: boolean };
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
  };
  DefaultFieldNullability: false;
}>({
  defaultFieldNullability: false,
  // Outermost first: input checks (and AppErrors outside a union), then errors, so a refusal by
  // scope-auth or an argument check lands in the mutation's result union as an AppError.
  plugins: [InputChecksPlugin, ErrorsPlugin, ScopeAuthPlugin, PrismaPlugin, RelayPlugin, SimpleObjectsPlugin, DataloaderPlugin],
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: ({ viewer }) => ({
      integrator: viewer.kind === 'integrator',
      operator: viewer.kind === 'operator',
      admin: viewer.kind === 'operator' && viewer.isAdmin,
    }),
    // No credential is a top-level UNAUTHENTICATED (fix the request, not the input); a credential
    // without the right is an AppError FORBIDDEN, in the result union where the field has one.
    unauthorizedError: (_parent, context) =>
      context.viewer.kind === 'anonymous'
        ? new GraphQLError('Not authenticated: send "Authorization: Bearer <operator token or API key>"', {
            extensions: { code: 'UNAUTHENTICATED', reason: context.viewer.reason ?? 'MISSING_CREDENTIAL' },
          })
        : new AppError('FORBIDDEN', 'Not allowed for these credentials'),
  },
  prisma: {
    client: (ctx) => ctx.prisma,
    dmmf: getDatamodel(),
    exposeDescriptions: false,
    filterConnectionTotalCount: true,
    onUnusedQuery: null,
    defaultConnectionSize: DEFAULT_CONNECTION_SIZE,
    maxConnectionSize: MAX_CONNECTION_SIZE,
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    // Our own `node`/`nodes` (types/node.ts): null for a malformed, unknown or foreign id.
    nodeQueryOptions: false,
    nodesQueryOptions: false,
  },
  errors: {
    defaultTypes: [AppError],
    // Argument checks (INVALID_ID, TOO_LONG) run as argument mappers: their AppErrors join the union too.
    unsafelyHandleInputErrors: true,
  },
});
