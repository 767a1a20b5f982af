/**
 * Subscriptions, compiled and served straight to graphql-ws (issue 8, live fan-out).
 *
 * Compiled: each item of a subscription is resolved by code graphql-jit generates once per document
 * (aliases, fragments, `__typename`, @skip/@include, leaf serialization: the same result graphql-js
 * gives), instead of graphql-js walking the document again for every item of every stream. One
 * known difference, graphql-jit's since it first ran our subscriptions: a scalar's `serialize` that
 * throws a plain Error (DateTime of an invalid date) is reported with its message, not masked. The
 * subscribe phase itself (the root field's `subscribe`, with its auth scopes) is graphql-js's
 * `createSourceEventStream`. Queries and mutations keep graphql-js.
 *
 * Served straight: envelop wraps a subscription's stream in one async iterator per per-item hook
 * (error masking's onNext, its onSubscribeError, the end hooks), each a few promise hops per item.
 * The only per-item work among them is error masking, so `serveCompiled` (graphql-ws's `subscribe`
 * in app.ts) pulls the compiled stream directly and masks with yoga's own masking function: an
 * item's field errors and an error thrown by the stream are masked exactly as before. The wrapped
 * stream is still what is closed (`return`), so the end hooks run as before.
 */

import { contextCacheSymbol } from '@pothos/core';
import {
  createSourceEventStream,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLError,
  Kind,
  subscribe,
} from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import type { Plugin } from 'graphql-yoga';

/** Yoga's masking of one error (app.ts: graphql-yoga's `maskError`, as configured): an unexpected error becomes "Unexpected error.". */
export type MaskError = (error: unknown) => Error;

const isSubscription = (document: DocumentNode) =>
  document.definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION && d.operation === 'subscription');

const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  typeof value === 'object' && value !== null && typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';

const isPromise = <T>(value: unknown): value is Promise<T> => typeof (value as Promise<T> | null)?.then === 'function';

/** Compiled once per parsed document (yoga's parser cache hands every stream of one query the same one) and operation. */
const compiledByDocument = new WeakMap<DocumentNode, Map<string, CompiledQuery | null>>();

function compiledFor(args: ExecutionArgs): CompiledQuery | null {
  const byOperation = compiledByDocument.get(args.document) ?? new Map<string, CompiledQuery | null>();
  compiledByDocument.set(args.document, byOperation);
  const name = args.operationName ?? '';
  let compiled = byOperation.get(name);
  if (compiled === undefined) {
    const result = compileQuery(args.schema, args.document, args.operationName ?? undefined);
    compiled = isCompiledQuery(result) ? result : null;
    byOperation.set(name, compiled);
  }
  return compiled;
}

type Step = IteratorResult<ExecutionResult>;

// No arrow functions kept per stream here: tsx gives each named closure a property of its own
// (~250 bytes), and a thousand idle streams hold theirs for hours. Methods, and `bind` where a
// callback must be kept.

/** A subscription's source stream, each item resolved by the compiled query. */
class CompiledResults implements AsyncIterableIterator<ExecutionResult> {
  constructor(
    readonly source: AsyncIterator<unknown>,
    private readonly compiled: CompiledQuery,
    private readonly context: unknown,
    private readonly variables: ExecutionArgs['variableValues'],
  ) {}

  next(): Promise<Step> {
    return this.source.next().then((step) => this.resolve(step));
  }

  /** As graphql-js maps a stream: a failure to resolve an item closes the source, then surfaces. */
  resolve(step: IteratorResult<unknown>): Step | Promise<Step> {
    if (step.done === true) return { done: true, value: undefined };
    try {
      const result: ExecutionResult | Promise<ExecutionResult> = this.compiled.query(step.value, this.context, this.variables);
      return isPromise<ExecutionResult>(result)
        ? result.then(
            (value) => ({ done: false, value }),
            (error) => this.fail(error),
          )
        : { done: false, value: result };
    } catch (error) {
      return this.fail(error);
    }
  }

  private async fail(error: unknown): Promise<never> {
    await this.source.return?.().catch(() => undefined);
    throw error;
  }

  async return(): Promise<Step> {
    await this.source.return?.();
    return { done: true, value: undefined };
  }

  async throw(error?: unknown): Promise<Step> {
    if (this.source.throw === undefined) throw error;
    return this.resolve(await this.source.throw(error));
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}

/** The compiled stream opened for each subscription's context, until graphql-ws takes it (serveCompiled). */
const openedFor = new WeakMap<object, CompiledResults>();

async function compiledSubscribe(args: ExecutionArgs) {
  const compiled = compiledFor(args);
  // What graphql-jit cannot compile, graphql-js runs (and reports).
  if (compiled === null) return subscribe(args);
  const source = await createSourceEventStream(args);
  if (!isAsyncIterable(source)) return source;
  const results = new CompiledResults(source[Symbol.asyncIterator](), compiled, args.contextValue, args.variableValues);
  if (typeof args.contextValue === 'object' && args.contextValue !== null) openedFor.set(args.contextValue, results);
  return results;
}

/** Every subscription runs compiled; queries and mutations keep graphql-js. */
export const useCompiledSubscriptions = (): Plugin => ({
  onSubscribe({ args, setSubscribeFn }) {
    if (isSubscription(args.document)) setSubscribeFn(compiledSubscribe);
  },
});

/**
 * What graphql-ws iterates for a subscription: `subscribed` is envelop's result (every plugin's
 * subscribe phase has run on it). When it wraps a compiled stream, the compiled stream is read
 * directly, its errors masked here; closing it closes `subscribed`.
 */
export function serveCompiled(contextValue: unknown, subscribed: unknown, maskError: MaskError): unknown {
  const compiled = typeof contextValue === 'object' && contextValue !== null ? openedFor.get(contextValue) : undefined;
  if (compiled === undefined || !isAsyncIterable(subscribed)) return subscribed;
  openedFor.delete(contextValue as object);
  releaseRequestCaches(contextValue as object);
  return new ServedResults(compiled, subscribed[Symbol.asyncIterator](), maskError);
}

/**
 * Pothos keeps its per-request caches (scope-auth's RequestCache: five Maps) in WeakMaps keyed by
 * `context[contextCacheSymbol]` (app.ts gives each subscription's context one). They served the
 * subscribe phase; the items resolve as executions of their own, so a fresh key lets the phase's
 * caches go instead of living as long as the stream.
 */
function releaseRequestCaches(context: object): void {
  const keyed = context as { [contextCacheSymbol]?: object };
  if (keyed[contextCacheSymbol] !== undefined) keyed[contextCacheSymbol] = {};
}

/** A source that can hand over an item without a promise when one is ready (undefined: call `next()`). */
interface TakesReady {
  takeReady(): IteratorResult<unknown> | undefined;
}

const isTakingReady = (source: object): source is TakesReady => typeof (source as Partial<TakesReady>).takeReady === 'function';

class ServedResults implements AsyncIterableIterator<ExecutionResult> {
  private ended = false;
  private readonly onStep = this.step.bind(this);
  private readonly onError = this.failed.bind(this);

  constructor(
    private readonly compiled: CompiledResults,
    private readonly wrapped: AsyncIterator<unknown>,
    private readonly maskError: MaskError,
  ) {}

  /**
   * An item the source has at hand (`takeReady`, notification-stream.ts) is resolved and masked at
   * once, one settled promise; otherwise one hop: the source's item, resolved and masked in the
   * same callback.
   */
  next(): Promise<Step> {
    const { source } = this.compiled;
    const now = isTakingReady(source) ? source.takeReady() : undefined;
    if (now === undefined) return source.next().then(this.onStep, this.onError);
    const step = this.step(now);
    return isPromise<Step>(step) ? step : Promise.resolve(step);
  }

  private step(step: IteratorResult<unknown>): Step | Promise<Step> {
    const resolved = this.compiled.resolve(step);
    return isPromise<Step>(resolved) ? resolved.then((r) => this.masked(r), this.onError) : this.masked(resolved);
  }

  private masked(step: Step): Step {
    if (step.done === true) {
      void this.end();
      return step;
    }
    const { errors } = step.value;
    if (errors === undefined || errors.length === 0) return step;
    return { done: false, value: { ...step.value, errors: errors.map((e) => this.maskError(e) as GraphQLError) } };
  }

  private failed(error: unknown): never {
    void this.end();
    throw this.maskError(error);
  }

  /** Closes the wrapped stream once: its end hooks run, and it closes the source (idempotent there). */
  private end(): Promise<unknown> {
    if (this.ended) return Promise.resolve();
    this.ended = true;
    return (this.wrapped.return?.() ?? Promise.resolve()).catch(() => undefined);
  }

  async return(): Promise<Step> {
    await this.end();
    return { done: true, value: undefined };
  }

  async throw(error?: unknown): Promise<Step> {
    await this.end();
    throw error;
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}
