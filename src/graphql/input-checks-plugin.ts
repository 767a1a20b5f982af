/**
 * One place where every argument is checked before any resolver (or another plugin's argument
 * mapping) runs, with the path of the field at fault:
 * - each string, ID and list within its length limit (src/domain/input-limits.ts) → TOO_LONG;
 * - each global ID well formed, of an accepted type, naming a UUID → INVALID_ID (instead of
 *   plugin-relay's untyped `Invalid global ID`).
 * It also turns an AppError that no result union took (a query, a nested field) into a top-level
 * GraphQL error carrying `extensions.code` and `field`, so yoga does not mask it as an internal error.
 */
import SchemaBuilder, { BasePlugin, isThenable, type PothosOutputFieldConfig, type SchemaTypes } from '@pothos/core';
import { decodeGlobalID } from '@pothos/plugin-relay';
import {
  defaultFieldResolver,
  GraphQLError,
  type GraphQLField,
  type GraphQLFieldResolver,
  type GraphQLInputObjectType,
  type GraphQLInputType,
  type GraphQLSchema,
  getNullableType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isObjectType,
  isScalarType,
} from 'graphql';
import { inputLimitOf } from '../domain/input-limits.js';
import { AppError } from '../errors.js';

/** Every node's id is a UUID (prisma/schema.prisma); anything else cannot name a row. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The raw id of a well-formed global id naming one of `typenames` (any type when null), or null. */
export function decodeNodeId(globalId: string, typenames: readonly string[] | null): { typename: string; id: string } | null {
  let decoded: { typename: string; id: string };
  try {
    decoded = decodeGlobalID(globalId);
  } catch {
    return null;
  }
  if (!UUID.test(decoded.id)) return null;
  if (typenames && !typenames.includes(decoded.typename)) return null;
  return decoded;
}

interface GlobalIdExtensions {
  isRelayGlobalID?: boolean;
  relayGlobalIDFor?: { typename: string }[] | null;
}

/**
 * What to check in a value of one input type, worked out once per type and field (the walk runs
 * for every argument of every request): limits resolved, absent kinds skipped.
 */
type Plan =
  | { kind: 'list'; max: number; item: Plan }
  | { kind: 'object'; fields: { name: string; plan: Plan }[] }
  | { kind: 'string'; max: number }
  | { kind: 'id'; max: number; global: boolean; typenames: readonly string[] | null }
  | { kind: 'none' };

const objectPlans = new WeakMap<GraphQLInputObjectType, { kind: 'object'; fields: { name: string; plan: Plan }[] }>();
const argumentPlans = new WeakMap<GraphQLField<unknown, unknown>, { name: string; plan: Plan }[]>();

function planFor(type: GraphQLInputType, fieldName: string, extensions: GlobalIdExtensions | undefined): Plan {
  const nullable = getNullableType(type);
  if (isListType(nullable)) {
    return { kind: 'list', max: inputLimitOf(fieldName, 'list').max, item: planFor(nullable.ofType, fieldName, extensions) };
  }
  if (isInputObjectType(nullable)) {
    let plan = objectPlans.get(nullable);
    if (!plan) {
      // Registered before its fields are planned: an input type may contain itself.
      plan = { kind: 'object', fields: [] };
      objectPlans.set(nullable, plan);
      for (const field of Object.values(nullable.getFields())) {
        plan.fields.push({ name: field.name, plan: planFor(field.type, field.name, field.extensions as GlobalIdExtensions) });
      }
    }
    return plan;
  }
  if (isScalarType(nullable) && nullable.name === 'String') return { kind: 'string', max: inputLimitOf(fieldName, 'string').max };
  if (isScalarType(nullable) && nullable.name === 'ID') {
    const typenames = extensions?.relayGlobalIDFor?.map((t) => t.typename) ?? null;
    return { kind: 'id', max: inputLimitOf(fieldName, 'id').max, global: extensions?.isRelayGlobalID === true, typenames };
  }
  return { kind: 'none' };
}

/** `path` holds the segments down to `value`; it is joined only for an error. */
function checkValue(plan: Plan, value: unknown, path: (string | number)[]): void {
  if (value === null || value === undefined) return;
  switch (plan.kind) {
    case 'list':
      if (!Array.isArray(value)) return;
      if (value.length > plan.max) throw tooLong(path, plan.max, 'items');
      for (let i = 0; i < value.length; i++) {
        path.push(i);
        checkValue(plan.item, value[i], path);
        path.pop();
      }
      return;
    case 'object':
      for (const field of plan.fields) {
        const fieldValue = (value as Record<string, unknown>)[field.name];
        if (fieldValue === null || fieldValue === undefined || field.plan.kind === 'none') continue;
        path.push(field.name);
        checkValue(field.plan, fieldValue, path);
        path.pop();
      }
      return;
    case 'string':
      if (typeof value === 'string' && value.length > plan.max) throw tooLong(path, plan.max, 'characters');
      return;
    case 'id': {
      if (typeof value !== 'string') return;
      if (value.length > plan.max) throw tooLong(path, plan.max, 'characters');
      if (plan.global && !decodeNodeId(value, plan.typenames)) {
        const at = path.join('.');
        throw new AppError('INVALID_ID', `${at} is not a valid ${plan.typenames ? plan.typenames.join(' or ') : 'node'} id`, at);
      }
      return;
    }
    case 'none':
      return;
  }
}

function tooLong(path: (string | number)[], max: number, unit: string): AppError {
  const at = path.join('.');
  return new AppError('TOO_LONG', `${at} is longer than ${max} ${unit}`, at);
}

/** Checks one field's arguments (exported for bench/input-checks.bench.ts); returns them unchanged. */
export function checkArguments(args: Record<string, unknown>, schema: GraphQLSchema, typeName: string, fieldName: string) {
  const parentType = schema.getType(typeName);
  const field = isObjectType(parentType) || isInterfaceType(parentType) ? parentType.getFields()[fieldName] : undefined;
  if (!field) return args;
  let plans = argumentPlans.get(field);
  if (!plans) {
    plans = field.args.map((arg) => ({ name: arg.name, plan: planFor(arg.type, arg.name, arg.extensions as GlobalIdExtensions) }));
    argumentPlans.set(field, plans);
  }
  for (const { name, plan } of plans) checkValue(plan, args[name], [name]);
  return args;
}

/** An AppError no result union took: a top-level error with a code (yoga masks plain errors). */
function exposeAppError(error: unknown): never {
  if (error instanceof AppError) {
    throw new GraphQLError(error.message, { extensions: { code: error.code, field: error.field } });
  }
  throw error;
}

export class InputChecksPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override onOutputFieldConfig(fieldConfig: PothosOutputFieldConfig<Types>): PothosOutputFieldConfig<Types> {
    if (Object.keys(fieldConfig.args).length === 0) return fieldConfig;
    // A subscription field's arguments are checked once, when it subscribes (wrapSubscribe): its
    // resolve runs again for every item with the same arguments, and an argument mapper would run
    // there too. No subscription field takes a global id, so no other plugin maps them first.
    if (fieldConfig.kind === 'Subscription') return fieldConfig;
    // First, so malformed global ids are refused here before plugin-relay tries to decode them.
    // Argument mappers also run with a partial info (plugin-prisma's nested selections): find the
    // field by its parent type's name.
    const { parentType, name } = fieldConfig;
    return {
      ...fieldConfig,
      argMappers: [(args, _ctx, info) => checkArguments(args, info.schema, parentType, name), ...fieldConfig.argMappers],
    };
  }

  override wrapSubscribe(
    subscribe: GraphQLFieldResolver<unknown, Types['Context'], object> | undefined,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> | undefined {
    if (!subscribe || fieldConfig.kind !== 'Subscription' || Object.keys(fieldConfig.args).length === 0) return subscribe;
    const { parentType, name } = fieldConfig;
    return (parent, args, context, info) =>
      subscribe(parent, checkArguments(args as Record<string, unknown>, info.schema, parentType, name), context, info);
  }

  override wrapArgMappers(
    resolver: GraphQLFieldResolver<unknown, Types['Context'], object>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> {
    // The default resolver reads a property and throws no AppError; left unwrapped, graphql-jit
    // (compiled subscriptions) inlines the read instead of calling a resolver with its info per item.
    if (!resolver || resolver === defaultFieldResolver) return resolver;
    return (parent, args, context, info) => {
      try {
        const result = resolver(parent, args, context, info);
        return isThenable(result) ? Promise.resolve(result).catch(exposeAppError) : result;
      } catch (error) {
        return exposeAppError(error);
      }
    };
  }
}

const pluginName = 'inputChecks';
SchemaBuilder.registerPlugin(pluginName, InputChecksPlugin);
export default pluginName;

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      inputChecks: InputChecksPlugin<Types>;
    }
  }
}
