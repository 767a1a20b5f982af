/**
 * Request and operation durations, under the names and labels @graphql-yoga/plugin-prometheus gave
 * them (the README lists them; dashboards keep working): `graphql_yoga_http_duration{method,
 * statusCode,operationType}`, `graphql_envelop_request_duration` and
 * `graphql_envelop_phase_{parse,validate,context,execute,subscribe}` by `operationType`, and
 * `graphql_envelop_error_result{operationType,phase,path}` for parse, validate, context and execute.
 *
 * Why not the plugin itself: for `{ __typename }` it cost ~5% of the request's CPU (label objects
 * rebuilt and filtered per phase, WeakMaps per request, closures per hook), every request pays it.
 * Here each phase is one timestamp pair and one `observe` of a BoundHistogram (bound-histogram.ts:
 * prom-client's own `observe` was still ~3% of the request), and the HTTP duration is timed by the
 * node:http handler (app.ts calls `observeHttp` when the response closes). Labels stay bounded: no
 * operation names, no URLs (a client chooses them).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type DocumentNode, type GraphQLError, getOperationAST } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { Counter, type Registry } from 'prom-client';
import { BoundHistogram } from './bound-histogram.js';

type OperationType = 'query' | 'mutation' | 'subscription';
const TYPE_LABELS = {
  query: { operationType: 'query' },
  mutation: { operationType: 'mutation' },
  subscription: { operationType: 'subscription' },
};
const NO_LABELS = {};

export interface RequestMetrics {
  plugin: Plugin;
  /** The HTTP duration of a GraphQL request (none for other paths), from `startedAt` (performance.now()). */
  observeHttp(request: IncomingMessage, response: ServerResponse, startedAt: number): void;
}

const seconds = (startedAt: number) => (performance.now() - startedAt) / 1000;

export function createRequestMetrics(registry: Registry): RequestMetrics {
  // Every app of a process (tests start several) shares the one registry, hence the metrics.
  const histogram = (name: string, help: string, labelNames: string[] = ['operationType']) =>
    BoundHistogram.in(registry, name, help, labelNames);
  const phase = {
    parse: histogram('graphql_envelop_phase_parse', 'Time spent on running GraphQL "parse" function'),
    validate: histogram('graphql_envelop_phase_validate', 'Time spent on running GraphQL "validate" function'),
    context: histogram('graphql_envelop_phase_context', 'Time spent on building the GraphQL context'),
    execute: histogram('graphql_envelop_phase_execute', 'Time spent on running the GraphQL "execute" function'),
    subscribe: histogram('graphql_envelop_phase_subscribe', 'Time spent on running the GraphQL "subscribe" function'),
  };
  const request = histogram('graphql_envelop_request_duration', 'Time spent on running the GraphQL operation from parse to execute');
  const http = histogram('graphql_yoga_http_duration', 'Time spent on HTTP connection', ['operationType', 'method', 'statusCode']);
  const errors =
    (registry.getSingleMetric('graphql_envelop_error_result') as Counter | undefined) ??
    new Counter({
      name: 'graphql_envelop_error_result',
      help: 'Counts the amount of errors reported from all phases',
      labelNames: ['operationType', 'path', 'phase'],
      registers: [registry],
    });

  /** Operation type by context (envelop keeps one context object from parse to execute). */
  const operationTypes = new WeakMap<object, OperationType>();
  /** Operation type by HTTP request, for the HTTP duration. */
  const httpOperationTypes = new WeakMap<IncomingMessage, OperationType>();
  const labelsOf = (context: object): Record<string, string> => {
    const operationType = operationTypes.get(context);
    return operationType ? { operationType } : {};
  };
  /** Observes `seconds` under the context's operation type (no label before it is known). */
  const observeByType = (metric: BoundHistogram, operationType: OperationType | undefined, seconds: number) =>
    metric.observe(operationType ?? '', operationType ? TYPE_LABELS[operationType] : NO_LABELS, seconds);
  const countErrors = (errorsOf: readonly GraphQLError[] | undefined, context: object) => {
    if (!errorsOf?.length) return;
    const operationType = operationTypes.get(context);
    for (const error of errorsOf) {
      const labels: Record<string, string> = { phase: 'execute' };
      if (operationType) labels.operationType = operationType;
      if (error.path) labels.path = error.path.join('.');
      errors.inc(labels);
    }
  };
  /** Calls `done(seconds)` when a result (or a stream of results) ends. */
  // Method shorthand: tsx (esbuild keepNames) names every arrow assigned to a key, per request.
  const whenDone = (startedAt: number, context: object, done: (duration: number) => void) => ({
    onExecuteDone({ result }: { result: unknown }) {
      if (isAsyncIterable(result))
        return {
          onNext({ result: r }: { result: { errors?: readonly GraphQLError[] } }) {
            countErrors(r.errors, context);
          },
          onEnd() {
            done(seconds(startedAt));
          },
        };
      countErrors((result as { errors?: readonly GraphQLError[] }).errors, context);
      done(seconds(startedAt));
      return undefined;
    },
  });

  const plugin: Plugin = {
    onPluginInit({ registerContextErrorHandler }) {
      registerContextErrorHandler(({ context, error }) => {
        const labels: Record<string, string> = { ...labelsOf(context), phase: 'context' };
        const path = (error as Partial<GraphQLError> | undefined)?.path;
        if (path) labels.path = path.join('.');
        errors.inc(labels);
      });
    },
    onParse({ context }) {
      const startedAt = performance.now();
      return ({ result }) => {
        if (result instanceof Error || result === null) {
          errors.inc({ phase: 'parse' });
          return;
        }
        const operationName = (context as { params?: { operationName?: string } }).params?.operationName;
        const operationType = getOperationAST(result as DocumentNode, operationName)?.operation;
        if (operationType) {
          operationTypes.set(context, operationType);
          const req = (context as { req?: IncomingMessage }).req;
          if (req) httpOperationTypes.set(req, operationType);
        }
        observeByType(phase.parse, operationType, seconds(startedAt));
      };
    },
    onValidate({ context }) {
      const startedAt = performance.now();
      return ({ valid }) => {
        observeByType(phase.validate, operationTypes.get(context), seconds(startedAt));
        if (!valid) errors.inc({ ...labelsOf(context), phase: 'validate' });
      };
    },
    onContextBuilding({ context }) {
      const startedAt = performance.now();
      return () => observeByType(phase.context, operationTypes.get(context), seconds(startedAt));
    },
    onExecute({ args }) {
      const context = args.contextValue as object;
      return whenDone(performance.now(), context, (duration) => {
        const operationType = operationTypes.get(context);
        observeByType(phase.execute, operationType, duration);
        observeByType(request, operationType, duration);
      });
    },
    onSubscribe({ args }) {
      const context = args.contextValue as object;
      const startedAt = performance.now();
      const done = () => {
        const operationType = operationTypes.get(context);
        const duration = seconds(startedAt);
        observeByType(phase.subscribe, operationType, duration);
        observeByType(request, operationType, duration);
      };
      return {
        onSubscribeResult: ({ result }) => {
          if (isAsyncIterable(result)) return { onEnd: done };
          done();
          return undefined;
        },
      };
    },
  };

  return {
    plugin,
    observeHttp(req, response, startedAt) {
      const operationType = httpOperationTypes.get(req);
      if (!operationType) return;
      const method = req.method ?? '';
      const statusCode = response.statusCode;
      http.observe(`${operationType} ${method} ${statusCode}`, { operationType, method, statusCode }, seconds(startedAt));
    },
  };
}
