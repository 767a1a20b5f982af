/**
 * The operation cost limit: an envelop plugin that estimates, before anything executes, how many
 * fields an operation can resolve, and refuses it past `maxCost`. Each field costs 1; a connection
 * multiplies what it selects by its page size (`first`/`last`, else the default page, both capped
 * as the builder caps them), so nested connections count multiplicatively: `roles(first: 50) →
 * operators(first: 50)` is 2,500 operators, not 100. A plain list (decisions, trace, groups) is as
 * long as the organization's own data, not as the caller asks, so it counts one item, except
 * `nodes(ids)`, as long as its argument.
 * GraphQL Armor's own cost limit adds list fields up instead, which is why this one is separate.
 * Introspection costs nothing here: graphql-js bounds its nesting itself (MaxIntrospectionDepthRule).
 *
 * The estimate may depend on the variables: yoga's validation cache answers a document it has
 * validated without running any rule, so a document seen valid before (`isValidated`) is estimated
 * directly, before validation, on every request whose variables could change its cost. Its cost is
 * reused when they cannot: no variable reaches an argument the estimate reads (a page size, a list's
 * `ids`) or a directive (`@include(if: $x)` drops a subtree). A report mutation's `input: $input`
 * is such a variable: the estimate (a walk of the document with its variables coerced) ran on every
 * report for nothing.
 */

import {
  type DocumentNode,
  GraphQLError,
  type GraphQLField,
  type GraphQLSchema,
  getNullableType,
  isListType,
  Kind,
  TypeInfo,
  type ValidationContext,
  type ValueNode,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import { type ComplexityEstimator, getComplexity } from 'graphql-query-complexity';
import type { Plugin } from 'graphql-yoga';
import { connectionPageSize } from './connection-size.js';

const isConnection = (field: GraphQLField<unknown, unknown>) => field.args.some((arg) => arg.name === 'first' || arg.name === 'last');

/** Whether the estimate of `field` reads its arguments (below): a connection's page, a list's `ids`. */
const readsArguments = (field: GraphQLField<unknown, unknown>) =>
  !field.name.startsWith('__') && (isConnection(field) || isListType(getNullableType(field.type)));

export const estimateFieldCost: ComplexityEstimator = ({ field, args, childComplexity }) => {
  if (field.name.startsWith('__')) return 0;
  if (isConnection(field)) return 1 + connectionPageSize(args) * childComplexity;
  if (isListType(getNullableType(field.type))) {
    const items = Array.isArray(args.ids) ? args.ids.length : 1;
    return 1 + items * childComplexity;
  }
  return 1 + childComplexity;
};

/** The estimated cost of `document` (every operation in it unless `operationName` picks one). */
export function operationCost(options: Omit<Parameters<typeof getComplexity>[0], 'estimators'>): number {
  return getComplexity({ ...options, estimators: [estimateFieldCost], maxQueryNodes: Number.POSITIVE_INFINITY });
}

interface CostContext {
  params?: { variables?: Record<string, unknown> | null; operationName?: string | null };
}

export interface OperationCostOptions {
  maxCost: number;
  code: string;
  /** Whether `document` passed validation with every limit before (operation-limits.ts). */
  isValidated?: (document: DocumentNode) => boolean;
}

const usesVariable = (value: ValueNode): boolean => {
  if (value.kind === Kind.VARIABLE) return true;
  if (value.kind === Kind.LIST) return value.values.some(usesVariable);
  if (value.kind === Kind.OBJECT) return value.fields.some((f) => usesVariable(f.value));
  return false;
};

/**
 * Whether a variable can change the estimate of `document` (validated: every field is known): one
 * reaches a directive or an argument of a field whose estimate reads its arguments. A field the
 * schema does not know counts as reading them.
 */
export function costDependsOnVariables(schema: GraphQLSchema, document: DocumentNode): boolean {
  const typeInfo = new TypeInfo(schema);
  let depends = false;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Directive(node) {
        if (node.arguments?.some((a) => usesVariable(a.value))) depends = true;
      },
      Field(node) {
        if (!node.arguments?.some((a) => usesVariable(a.value))) return;
        const field = typeInfo.getFieldDef();
        if (field === null || field === undefined || readsArguments(field)) depends = true;
      },
    }),
  );
  return depends;
}

export function useOperationCostLimit(options: OperationCostOptions): Plugin<CostContext> {
  /** Validated documents whose cost no variable changes: the operation names ('' for none) found below the limit. */
  const withinLimit = new WeakMap<DocumentNode, Set<string>>();
  /** Validated documents: whether a variable can change their cost (costDependsOnVariables). */
  const variableCost = new WeakMap<DocumentNode, boolean>();
  const dependsOnVariables = (schema: GraphQLSchema, document: DocumentNode) => {
    let depends = variableCost.get(document);
    if (depends === undefined) {
      depends = costDependsOnVariables(schema, document);
      variableCost.set(document, depends);
    }
    return depends;
  };
  const refuseOver = (schema: GraphQLSchema, document: DocumentNode, context: CostContext) => {
    const variables = context.params?.variables ?? undefined;
    const operationName = context.params?.operationName ?? undefined;
    let cost: number;
    try {
      cost = operationCost({ schema, query: document, variables, operationName });
    } catch {
      return; // bad arguments or variables: the other rules and execution refuse them
    }
    if (cost > options.maxCost)
      throw new GraphQLError(`Operation cost limit of ${options.maxCost} exceeded, estimated ${cost}.`, {
        extensions: { code: options.code, limit: options.maxCost, found: cost, http: { status: 400 } },
      });
    return cost;
  };
  return {
    onValidate({ addValidationRule, context, params }) {
      const document = params.documentAST;
      if (options.isValidated?.(document)) {
        if (dependsOnVariables(params.schema, document)) {
          refuseOver(params.schema, document, context);
          return;
        }
        // Below the limit once with variables that cannot change its cost: below it every time.
        const names = withinLimit.get(document) ?? new Set<string>();
        const name = context.params?.operationName ?? '';
        if (names.has(name)) return;
        if (refuseOver(params.schema, document, context) !== undefined) withinLimit.set(document, names.add(name));
        return;
      }
      let estimated = false;
      addValidationRule((validation: ValidationContext) => ({
        // On entering the first operation, after Armor's structural limits and before any rule
        // visits a selection: a costly operation is refused before the quadratic rules (overlapping
        // fields) walk it. One estimate covers the whole document.
        OperationDefinition() {
          if (estimated) return;
          estimated = true;
          refuseOver(validation.getSchema(), validation.getDocument(), context);
        },
      }));
    },
  };
}
