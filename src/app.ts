/**
 * createApp(deps) → { start(port), stop() }: graphql-yoga over a Node HTTP server, with graphql-ws
 * on the same port and path.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type DocumentNode, GraphQLError } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { createYoga, useReadinessCheck } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import type { Config } from './config.js';
import { type Context, resolveViewer } from './context.js';
import { type Database, openDatabase } from './db/database.js';
import { useIntrospectionGuard } from './graphql/introspection-guard.js';
import { operationLimitPlugins } from './graphql/operation-limits.js';
import { schema } from './graphql/schema.js';
import { createPubSub } from './pubsub.js';
import { createDailySummaryScheduler } from './services/analytics/daily-summary-scheduler.js';
import { createEscalationSink } from './services/attention/escalation-sink.js';
import { createEscalationWorker } from './services/attention/escalation-worker.js';
import { checkReadiness, type Readiness } from './services/check-readiness.js';
import { createDeliveryWorker } from './services/delivery/delivery-worker.js';
import { PRESENCE_REPORTER, reportHappenings } from './services/ingestion/report-happenings.js';
import { useCompiledSubscriptions } from './services/live/compiled-subscriptions.js';
import { corkPerTick } from './services/live/cork-per-tick.js';
import { createLive, registerConnectionCloser } from './services/live/live.js';
import { createOutboundGuard, type ResolveHost } from './services/outbound/outbound-guard.js';
import { createRateLimits } from './services/rate-limits/check-rate-limit.js';
import { OrganizationGate } from './services/rate-limits/organization-gate.js';
import { useRateLimits } from './services/rate-limits/use-rate-limits.js';
import type { Services } from './services/services.js';
import { loadTokenSecret } from './services/token-secret.js';

export interface AppOptions {
  config: Config;
  /** An already open database (tests share one per file); otherwise opened from the config. */
  database?: Database;
  /** DNS resolution of outbound requests; default dns.lookup (tests fake it). */
  resolveOutboundHost?: ResolveHost;
}

export interface App {
  services: Services;
  database: Database;
  /** Listens on `port` (0 picks a free one) and resolves to the base URL. */
  start(port?: number): Promise<string>;
  /** What `/readiness` answers: not shutting down, database (and Redis) reachable. */
  readiness(): Promise<Readiness>;
  /** Graceful stop (see below); calling it again returns the same stop. */
  stop(): Promise<void>;
}

export async function createApp(options: AppOptions): Promise<App> {
  const { config } = options;
  const ownsDatabase = !options.database;
  const database =
    options.database ??
    (await openDatabase({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      onQuery: config.logQueries ? (sql) => console.log(`[sql] ${sql}`) : undefined,
    }));
  const services: Services = {
    prisma: database.prisma,
    tokenSecret: await loadTokenSecret(database.prisma, config.tokenSecret),
    tokenTtlSeconds: config.tokenTtlSeconds,
    maxBatchSize: config.maxBatchSize,
    sinks: [],
    outbound: createOutboundGuard({ allowPrivate: config.outboundAllowPrivate, resolve: options.resolveOutboundHost }),
  };
  // Delivery queue (issue 4): the outbox sink, its worker and the daily analytics scheduler.
  const deliveryWorker = createDeliveryWorker({ services, config });
  services.sinks.push(deliveryWorker.sink);
  const dailySummary = createDailySummaryScheduler({ services, config });
  // Live notifications (issue 3): pub/sub (Redis when REDIS_URL), inbox sink, streams, presence.
  const pubsub = createPubSub({ redisUrl: config.redisUrl, prefix: config.redisPrefix });
  const live = createLive({
    prisma: database.prisma,
    pubsub,
    presenceGraceMs: config.presenceGraceMs,
    presenceTtlMs: config.presenceTtlMs,
    presenceBatchMs: config.presenceBatchMs,
    presenceConcurrency: config.presenceConcurrency,
    maxBatchSize: config.maxBatchSize,
    streamBufferLimit: config.streamBufferLimit,
    reportPresence: (organizationId, changes) =>
      reportHappenings(
        services,
        organizationId,
        PRESENCE_REPORTER,
        changes.map((c) => ({ kind: 'PRESENCE_CHANGED', ...c })),
      ),
  });
  services.live = live;
  services.sinks.push(live.sink);
  // Attention (issue 12, E4): missed-chat escalation timers armed with the events, fired by a worker.
  services.sinks.push(createEscalationSink());
  const escalationWorker = createEscalationWorker(services, config.escalationPollMs);
  const contextFor = async (authorization: string | null | undefined): Promise<Context> => ({
    prisma: database.prisma,
    services,
    viewer: await resolveViewer(database.prisma, services, authorization),
  });

  let shuttingDown = false;
  let stopping: Promise<void> | null = null;
  const readiness = () => checkReadiness({ prisma: database.prisma, redis: pubsub.redis?.client ?? null, shuttingDown });
  // Rate limits (issue 7): one plugin keyed by credential, counted in Redis when REDIS_URL is set.
  const rateLimits = await createRateLimits(config, database.prisma);
  services.rateLimitDefaults = rateLimits.defaults;
  services.ingestionGate = new OrganizationGate(config.ingestionInFlightPerOrganization);
  const yoga = createYoga<{ authorization?: string | null }>({
    schema,
    graphiql: config.production ? false : { subscriptionsProtocol: 'WS' },
    context: ({ request, authorization }) => contextFor(authorization ?? request?.headers.get('authorization')),
    logging: 'warn',
    maskedErrors: { isDev: false },
    plugins: [
      useRateLimits(rateLimits),
      ...operationLimitPlugins(config),
      ...(config.production ? [useIntrospectionGuard()] : []),
      useCompiledSubscriptions(),
      useReadinessCheck({
        endpoint: '/readiness',
        check: async ({ fetchAPI }) => {
          const answer = await readiness();
          return fetchAPI.Response.json(answer, { status: answer.ready ? 200 : 503 });
        },
      }),
    ],
  });

  // Responses still to be written: when shutdown begins they say `Connection: close`, so each
  // keep-alive socket closes after its last answer instead of racing a client's next request.
  const unanswered = new Set<ServerResponse>();
  const server: Server = createServer((request, response) => {
    if (shuttingDown) response.setHeader('connection', 'close');
    unanswered.add(response);
    response.once('close', () => unanswered.delete(response));
    void yoga(request, response);
  });
  // Idle keep-alive sockets outlive the clients' own pools (undici keeps them 4 s, proxies ~60 s):
  // closing first would reset a request racing the close.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  const wsServer = new WebSocketServer({ server, path: yoga.graphqlEndpoint });
  wsServer.on('connection', corkPerTick);
  const wsCleanup = useServer(
    {
      // Only operator tokens open streams: a bad, expired or revoked token, or an API key, closes the
      // socket with 4403 Forbidden (graphql-ws returns false → 4403).
      onConnect: async (ctx) => {
        const authorization = (ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization) as string | undefined;
        const viewer = await resolveViewer(database.prisma, services, authorization);
        return viewer.kind === 'operator';
      },
      onSubscribe: async (ctx, _id, params) => {
        const connectionAuth = (ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization) as string | undefined;
        const enveloped = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
          authorization: connectionAuth ?? null,
        });
        // The operation limits throw from parse and validate (refusing at the first excess).
        let document: DocumentNode;
        try {
          document = enveloped.parse(params.query);
          const errors = enveloped.validate(enveloped.schema, document);
          if (errors.length > 0) return errors;
        } catch (error) {
          if (error instanceof GraphQLError) return [error];
          throw error;
        }
        const contextValue = await enveloped.contextFactory();
        registerConnectionCloser(contextValue, (code, reason) => ctx.extra.socket.close(code, reason));
        return {
          schema: enveloped.schema,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue,
          rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe },
        };
      },
      execute: (args) => (args.rootValue as { execute: typeof import('graphql').execute }).execute(args),
      subscribe: (args) => (args.rootValue as { subscribe: typeof import('graphql').subscribe }).subscribe(args),
    },
    wsServer,
    config.wsKeepAliveMs,
  );

  return {
    services,
    database,
    start(port = config.port) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, config.host, () => {
          const { port: actual } = server.address() as AddressInfo;
          deliveryWorker.start();
          dailySummary.start();
          escalationWorker.start();
          resolve(`http://${config.host}:${actual}`);
        });
      });
    },
    readiness,
    stop() {
      stopping ??= shutdown();
      return stopping;
    },
  };

  /**
   * Graceful: readiness answers 503, no new connections, live streams close with 1001 (clients
   * reconnect to another instance with their cursor), in-flight requests and the delivery batch
   * get `shutdownGraceMs` to finish (then sockets are cut and unsent deliveries released).
   */
  async function shutdown() {
    shuttingDown = true;
    for (const response of unanswered) if (!response.headersSent) response.setHeader('connection', 'close');
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await wsCleanup.dispose();
    const graceOver = new Promise<'late'>((resolve) => setTimeout(resolve, config.shutdownGraceMs, 'late').unref());
    const [http] = await Promise.all([
      Promise.race([closed.then(() => 'done' as const), graceOver]),
      deliveryWorker.stop(config.shutdownGraceMs),
      dailySummary.stop(),
      escalationWorker.stop(),
    ]);
    if (http === 'late') {
      server.closeAllConnections();
      for (const socket of wsServer.clients) socket.terminate();
      await closed;
    }
    await services.outbound.close();
    await live.stop();
    await pubsub.close();
    await rateLimits.close();
    if (ownsDatabase) await database.close();
  }
}
