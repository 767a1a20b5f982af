/**
 * `node` / `nodes` (instead of plugin-relay's own): an id that is malformed, names no row, or names
 * a row the caller may not see (another organization's, a colleague's inbox item…) answers null,
 * the same null in every case, so an id reveals nothing. Visibility is each type's own
 * `authScopes` function, asked once per object here.
 */
import { resolveNodes } from '@pothos/plugin-relay';
import { type GraphQLResolveInfo, type GraphQLSchema, isObjectType } from 'graphql';
import type { Context } from '../../context.js';
import { builder } from '../builder.js';
import { decodeNodeId } from '../input-checks-plugin.js';

const isNodeType = (schema: GraphQLSchema, typename: string) => {
  const type = schema.getType(typename);
  return isObjectType(type) && type.getInterfaces().some((i) => i.name === 'Node');
};

/** The type's `authScopes(parent, ctx)` said true; a type without such a function shows nothing. */
async function isVisible(typename: string, object: unknown, ctx: Context): Promise<boolean> {
  const { authScopes } = builder.configStore.getTypeConfig(typename).pothosOptions as { authScopes?: unknown };
  if (typeof authScopes !== 'function') return false;
  return (await authScopes(object, ctx)) === true;
}

/** Prisma nodes load with findUniqueOrThrow: "no such row" (P2025) is a null here, anything else is not. */
async function loadOrNull(ctx: Context, info: GraphQLResolveInfo, node: { typename: string; id: string }): Promise<unknown> {
  try {
    const [object] = await resolveNodes(builder, ctx, info, [node]);
    return (await object) ?? null;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'P2025') return null;
    throw error;
  }
}

async function visibleNodes(ctx: Context, info: GraphQLResolveInfo, ids: readonly string[]): Promise<unknown[]> {
  const decoded = ids.map((id) => {
    const node = decodeNodeId(id, null);
    return node && isNodeType(info.schema, node.typename) ? node : null;
  });
  return Promise.all(
    decoded.map(async (node) => {
      if (!node) return null;
      const value = await loadOrNull(ctx, info, node);
      return value && (await isVisible(node.typename, value, ctx)) ? value : null;
    }),
  );
}

builder.queryFields((t) => ({
  node: t.field({
    type: builder.nodeInterfaceRef(),
    nullable: true,
    description: 'The object with this global id; null when the id is malformed, unknown or not visible to the caller.',
    authScopes: { operator: true },
    args: { id: t.arg.id({ required: true, description: 'A global id, as every `id` field returns it.' }) },
    resolve: async (_root, { id }, ctx, info) => (await visibleNodes(ctx, info, [String(id)]))[0] ?? null,
  }),
  nodes: t.field({
    type: [builder.nodeInterfaceRef()],
    nullable: { list: false, items: true },
    description: 'The objects with these global ids, in order; null for each id that is malformed, unknown or not visible.',
    authScopes: { operator: true },
    args: { ids: t.arg.idList({ required: true, description: 'Global ids, as every `id` field returns them.' }) },
    resolve: (_root, { ids }, ctx, info) => visibleNodes(ctx, info, ids.map(String)),
  }),
}));
