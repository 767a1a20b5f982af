/**
 * The rate-limit plugin (yoga/envelop), keyed by credential: every operation, over HTTP and over
 * graphql-ws, spends its points before any resolver runs (check-rate-limit.ts). A refused
 * operation runs no resolver: each root field answers the refusal instead, as the typed `AppError`
 * (RATE_LIMITED, retryAfterSeconds) where the field returns errors, as a GraphQL error with the same
 * code elsewhere. Over HTTP the response also carries `Retry-After`.
 *
 * A root field spends one point unless its `extensions` say otherwise (`rateLimitPoints`, e.g. a
 * batch spends one per happening). Operators spend one point per operation whatever it asks.
 *
 * Once a credential is exhausted (nothing left in its window), its next HTTP requests are refused
 * before their body is read or their credential looked up: HTTP 429, Retry-After, and a GraphQL
 * error RATE_LIMITED with retryAfterSeconds, held back one second. A flood that ignores
 * Retry-After then costs the instance almost nothing, which is what keeps other organizations' latency flat
 * (bench/fairness.bench.ts). Exhaustion is remembered per instance by the exact Authorization
 * header, until the window ends.
 */
import { wrapErrorIfMatches } from '@pothos/plugin-errors';
import {
  type DocumentNode,
  defaultFieldResolver,
  type FieldNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLField,
  type GraphQLSchema,
  getArgumentValues,
  getOperationAST,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Viewer } from '../../context.js';
import { log } from '../../observability/logger.js';
import { metrics } from '../../observability/metrics.js';
import type { RateLimits } from './check-rate-limit.js';
import type { RateLimitedError } from './rate-limited-error.js';

const POINTS = 'rateLimitPoints';

/** Field extension: the points one call of this root field spends, from its arguments (default 1). */
export function rateLimitPoints<Args>(count: (args: Args) => number): Record<string, unknown> {
  return { [POINTS]: count };
}

/** Refusals by context (resolvers) and by HTTP request (the response hook). */
const refusals = new WeakMap<object, RateLimitedError>();
/** Most exhausted credentials remembered at once (each entry lives one window at most). */
const EXHAUSTED_CAPACITY = 10_000;
/** How long an exhausted credential's refusal is held before it is sent (never past its retry time: that is ≥ 1 s). */
const HOLD_REFUSAL_MS = 1000;
const wrappedSchemas = new WeakSet<GraphQLSchema>();

type AnyField = GraphQLField<unknown, unknown>;

/** The root fields an operation selects, through inline fragments and fragment spreads. */
function rootFieldsOf(schema: GraphQLSchema, operation: OperationDefinitionNode, fragments: Map<string, FragmentDefinitionNode>) {
  const fields = schema.getRootType(operation.operation)?.getFields() ?? {};
  const selected: { field: AnyField | undefined; node: FieldNode }[] = [];
  const seen = new Set<string>();
  const visit = (set: SelectionSetNode) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) selected.push({ field: fields[selection.name.value] as AnyField | undefined, node: selection });
      else if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet);
      else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        if (fragment) visit(fragment.selectionSet);
      }
    }
  };
  visit(operation.selectionSet);
  return selected;
}

/**
 * What an operation of a document spends, worked out once per document and operation name (yoga's
 * parse cache hands out the same document for the same text): the points of the root fields that
 * spend a fixed one, and the fields whose points depend on their arguments (read per request).
 */
interface PointsPlan {
  fixed: number;
  counted: { field: AnyField; node: FieldNode; count: (args: Record<string, unknown>) => unknown }[];
}

function planPoints(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined): PointsPlan {
  const operation = getOperationAST(document, operationName);
  if (!operation) return { fixed: 1, counted: [] };
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const plan: PointsPlan = { fixed: 0, counted: [] };
  for (const { field, node } of rootFieldsOf(schema, operation, fragments)) {
    const count = field?.extensions?.[POINTS];
    if (field && typeof count === 'function') plan.counted.push({ field, node, count: count as PointsPlan['counted'][number]['count'] });
    else plan.fixed += 1;
  }
  return plan;
}

/** Plans by document, then by operation name ('' for none); a document is parsed against one schema. */
const pointsPlans = new WeakMap<DocumentNode, Map<string, PointsPlan>>();

function pointsOf(
  schema: GraphQLSchema,
  args: { document: DocumentNode; operationName?: string | null; variableValues?: unknown },
  viewer: Viewer,
) {
  if (viewer.kind !== 'integrator') return 1;
  let byName = pointsPlans.get(args.document);
  if (byName === undefined) {
    byName = new Map();
    pointsPlans.set(args.document, byName);
  }
  const name = args.operationName ?? '';
  let plan = byName.get(name);
  if (plan === undefined) {
    plan = planPoints(schema, args.document, args.operationName);
    byName.set(name, plan);
  }
  let points = plan.fixed;
  for (const { field, node, count } of plan.counted) {
    let spent = 1;
    try {
      spent = Number(count(getArgumentValues(field, node, (args.variableValues ?? {}) as Record<string, unknown>)));
    } catch {
      spent = 1; // arguments execution will refuse anyway
    }
    points += Number.isInteger(spent) && spent > 0 ? spent : 1;
  }
  return Math.max(1, points);
}

const asGraphQLError = (refusal: RateLimitedError) =>
  new GraphQLError(refusal.message, { extensions: { code: refusal.code, retryAfterSeconds: refusal.retryAfterSeconds } });

/** Makes every query and mutation root field answer the context's refusal, if any, instead of resolving. */
function refuseLimitedCalls(schema: GraphQLSchema): void {
  if (wrappedSchemas.has(schema)) return;
  wrappedSchemas.add(schema);
  for (const type of [schema.getQueryType(), schema.getMutationType()]) {
    for (const field of Object.values(type?.getFields() ?? {})) {
      const resolve = field.resolve ?? defaultFieldResolver;
      const errorTypes = field.extensions?.pothosErrors as (new (...args: never[]) => unknown)[] | undefined;
      field.resolve = (source, args, context, info) => {
        const refusal = refusals.get(context as object);
        if (!refusal) return resolve(source, args, context, info);
        const typed = errorTypes ? wrapErrorIfMatches(refusal, errorTypes) : refusal;
        if (typed !== refusal) return typed;
        throw asGraphQLError(refusal);
      };
    }
  }
}

type LimitedContext = { viewer?: Viewer; request?: Request };

/**
 * Authorization header → exhausted credential: refused until `until`, told to retry at `retryAt`.
 * Remembered until the window ends, but no longer than the organization-limits cache: an override
 * raised meanwhile is seen as soon as the full path would see it.
 */
function exhaustedCredentials() {
  const entries = new Map<string, { until: number; retryAt: number }>();
  return {
    remember(authorization: string, retryAfterMs: number, cacheMs: number) {
      const now = Date.now();
      if (entries.size >= EXHAUSTED_CAPACITY) {
        for (const [key, entry] of entries) if (entry.until <= now) entries.delete(key);
        if (entries.size >= EXHAUSTED_CAPACITY) return;
      }
      entries.set(authorization, { until: now + Math.min(retryAfterMs, cacheMs), retryAt: now + retryAfterMs });
    },
    /** When the credential may retry, if it is still refused on sight. */
    retryAt(authorization: string): number | undefined {
      const entry = entries.get(authorization);
      if (entry === undefined) return undefined;
      if (entry.until > Date.now()) return entry.retryAt;
      entries.delete(authorization);
      return undefined;
    },
  };
}

export function useRateLimits(rateLimits: RateLimits): Plugin<LimitedContext> {
  const exhausted = exhaustedCredentials();
  const settle = (refusal: RateLimitedError | null, context: LimitedContext & { viewer: Viewer }) => {
    if (!refusal) return null;
    metrics.rateLimitRefusals.inc({ credential: context.viewer.kind });
    log.info(
      { credential: context.viewer.kind, retryAfterSeconds: refusal.retryAfterSeconds, exhausted: refusal.exhausted },
      'rate limit refused',
    );
    refusals.set(context, refusal);
    if (context.request) refusals.set(context.request, refusal);
    const authorization = context.request?.headers.get('authorization');
    if (refusal.exhausted && authorization && refusal.retryAfterSeconds)
      exhausted.remember(authorization, refusal.retryAfterSeconds * 1000, rateLimits.cacheSeconds * 1000);
    return refusal;
  };
  /** Synchronous when the limits are cached and counted in memory: no promise hop on the request path. */
  const check = (
    schema: GraphQLSchema,
    args: Parameters<typeof pointsOf>[1],
    context: LimitedContext,
  ): RateLimitedError | null | Promise<RateLimitedError | null> => {
    const viewer = context.viewer;
    if (!viewer || viewer.kind === 'anonymous') return null;
    const refusal = rateLimits.check(viewer, pointsOf(schema, args, viewer));
    const limited = context as LimitedContext & { viewer: Viewer };
    return refusal instanceof Promise ? refusal.then((r) => settle(r, limited)) : settle(refusal, limited);
  };
  return {
    // Synchronous unless the credential is exhausted: a hook returning a promise costs every request a hop.
    onRequest({ request, endResponse, fetchAPI }) {
      const authorization = request.headers.get('authorization');
      const retryAt = authorization ? exhausted.retryAt(authorization) : undefined;
      if (retryAt === undefined) return;
      // It was told to wait and did not: its refusal waits a moment too, which bounds the rate of a
      // client that loops on refusals to its concurrency per second, instead of thousands.
      return new Promise<void>((resolve) => setTimeout(resolve, Math.min(HOLD_REFUSAL_MS, retryAt - Date.now()))).then(() => {
        const seconds = Math.max(1, Math.ceil((retryAt - Date.now()) / 1000));
        const message = `This credential is over its rate limit: retry after ${seconds} s`;
        const body = JSON.stringify({ errors: [{ message, extensions: { code: 'RATE_LIMITED', retryAfterSeconds: seconds } }] });
        const headers = { 'content-type': 'application/json; charset=utf-8', 'retry-after': String(seconds) };
        endResponse(new fetchAPI.Response(body, { status: 429, headers }));
      });
    },
    onSchemaChange: ({ schema }) => refuseLimitedCalls(schema),
    onExecute: ({ args }) => {
      refuseLimitedCalls(args.schema);
      const checked = check(args.schema, args, args.contextValue);
      if (checked instanceof Promise) return checked.then(() => undefined);
    },
    onSubscribe: async ({ args, setResultAndStopExecution }) => {
      const refusal = await check(args.schema, args, args.contextValue);
      if (refusal) setResultAndStopExecution({ errors: [asGraphQLError(refusal)] });
    },
    onResponse: ({ request, response }) => {
      const refusal = refusals.get(request);
      if (refusal?.retryAfterSeconds) response.headers.set('Retry-After', String(refusal.retryAfterSeconds));
    },
  };
}
