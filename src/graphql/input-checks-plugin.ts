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
  GraphQLError,
  type GraphQLFieldResolver,
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

function tooLong(path: string, max: number, unit: string): AppError {
  return new AppError('TOO_LONG', `${path} is longer than ${max} ${unit}`, path);
}

function checkValue(type: GraphQLInputType, value: unknown, path: string, fieldName: string, extensions: GlobalIdExtensions): void {
  if (value === null || value === undefined) return;
  const nullable = getNullableType(type);
  if (isListType(nullable)) {
    if (!Array.isArray(value)) return;
    const { max } = inputLimitOf(fieldName, 'list');
    if (value.length > max) throw tooLong(path, max, 'items');
    value.forEach((item, i) => {
      checkValue(nullable.ofType, item, `${path}.${i}`, fieldName, extensions);
    });
    return;
  }
  if (isInputObjectType(nullable)) {
    for (const field of Object.values(nullable.getFields())) {
      const fieldValue = (value as Record<string, unknown>)[field.name];
      checkValue(field.type, fieldValue, `${path}.${field.name}`, field.name, field.extensions as GlobalIdExtensions);
    }
    return;
  }
  if (!isScalarType(nullable) || typeof value !== 'string') return;
  if (nullable.name === 'String') {
    const { max } = inputLimitOf(fieldName, 'string');
    if (value.length > max) throw tooLong(path, max, 'characters');
  } else if (nullable.name === 'ID') {
    const { max } = inputLimitOf(fieldName, 'id');
    if (value.length > max) throw tooLong(path, max, 'characters');
    if (!extensions?.isRelayGlobalID) return;
    const typenames = extensions.relayGlobalIDFor?.map((t) => t.typename) ?? null;
    if (!decodeNodeId(value, typenames)) {
      throw new AppError('INVALID_ID', `${path} is not a valid ${typenames ? typenames.join(' or ') : 'node'} id`, path);
    }
  }
}

function checkArguments(args: Record<string, unknown>, schema: GraphQLSchema, typeName: string, fieldName: string) {
  const parentType = schema.getType(typeName);
  const field = isObjectType(parentType) || isInterfaceType(parentType) ? parentType.getFields()[fieldName] : undefined;
  for (const arg of field?.args ?? []) {
    checkValue(arg.type, args[arg.name], arg.name, arg.name, arg.extensions as GlobalIdExtensions);
  }
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
    // First, so malformed global ids are refused here before plugin-relay tries to decode them.
    // Argument mappers also run with a partial info (plugin-prisma's nested selections): find the
    // field by its parent type's name.
    const { parentType, name } = fieldConfig;
    return {
      ...fieldConfig,
      argMappers: [(args, _ctx, info) => checkArguments(args, info.schema, parentType, name), ...fieldConfig.argMappers],
    };
  }

  override wrapArgMappers(
    resolver: GraphQLFieldResolver<unknown, Types['Context'], object>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> {
    if (!resolver) return resolver;
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
