/**
 * createApp(deps) → { start(port), stop() }: graphql-yoga over a Node HTTP server, with graphql-ws
 * on the same port and path.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { initContextCache } from '@pothos/core';
import { type DocumentNode, GraphQLError } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { createYoga, maskError } from 'graphql-yoga';
import type { DestinationStream } from 'pino';
import { WebSocketServer } from 'ws';
import { createAuthenticator } from './auth/authenticate.js';
import type { Config } from './config.js';
import { type Context, resolveViewer, type Viewer } from './context.js';
import { type Database, openDatabase } from './db/database.js';
import { renderOfflineGraphiQL, useGraphiQLAssets } from './graphql/graphiql-offline.js';
import { useIntrospectionGuard } from './graphql/introspection-guard.js';
import { operationLimitPlugins } from './graphql/operation-limits.js';
import { useRequestBodyLimit } from './graphql/request-body-limit.js';
import { schema } from './graphql/schema.js';
import { configureLogging, log, logContext } from './observability/logger.js';
import { metrics, registry as metricsRegistry } from './observability/metrics.js';
import { metricsSink } from './observability/metrics-sink.js';
import { useReadinessEndpoint } from './observability/readiness-endpoint.js';
import { createRequestMetrics } from './observability/request-metrics.js';
import { createMetricsHandler } from './observability/serve-metrics.js';
import { createPubSub } from './pubsub.js';
import { createDailySummaryScheduler } from './services/analytics/daily-summary-scheduler.js';
import { createEscalationSink } from './services/attention/escalation-sink.js';
import { createEscalationWorker } from './services/attention/escalation-worker.js';
import { checkReadiness, type Readiness } from './services/check-readiness.js';
import { serveConsole } from './services/console/serve-console.js';
import { createDeliveryWorker } from './services/delivery/delivery-worker.js';
import { announceStoredPresence } from './services/ingestion/announce-stored-presence.js';
import { PRESENCE_REPORTER, reportHappenings } from './services/ingestion/report-happenings.js';
import { serveCompiled, useCompiledSubscriptions } from './services/live/compiled-subscriptions.js';
import { corkPerTick } from './services/live/cork-per-tick.js';
import { handshakeTurns } from './services/live/handshake-turns.js';
import { createLive, registerConnectionCloser } from './services/live/live.js';
import { createOutboundGuard, type ResolveHost } from './services/outbound/outbound-guard.js';
import { createRateLimits } from './services/rate-limits/check-rate-limit.js';
import { OrganizationGate } from './services/rate-limits/organization-gate.js';
import { useRateLimits } from './services/rate-limits/use-rate-limits.js';
import { createRetentionScheduler } from './services/retention/retention-scheduler.js';
import type { Services } from './services/services.js';
import { loadTokenSecret } from './services/token-secret.js';

/** Stream handshake steps run per turn of the event loop during a connection burst. */
const HANDSHAKES_PER_TURN = 48;
/** Connections waiting to be accepted. */
const LISTEN_BACKLOG = 4096;
export interface AppOptions {
  config: Config;
  /** An already open database (tests share one per file); otherwise opened from the config. */
  database?: Database;
  /** DNS resolution of outbound requests; default dns.lookup (tests fake it). */
  resolveOutboundHost?: ResolveHost;
  /** Where log lines go (tests capture them); default standard output. */
  logStream?: DestinationStream;
}

export interface App {
  services: Services;
  database: Database;
  /** Listens on `port` (0 picks a free one) and resolves to the base URL. */
  start(port?: number): Promise<string>;
  /** The base URL of the separate metrics port once started (METRICS_PORT), else null. */
  metricsUrl(): string | null;
  /** What `/readiness` answers: not shutting down, database (and Redis) reachable. */
  readiness(): Promise<Readiness>;
  /** Graceful stop (see below); calling it again returns the same stop. */
  stop(): Promise<void>;
}

export async function createApp(options: AppOptions): Promise<App> {
  const { config } = options;
  configureLogging({ level: config.logLevel, pretty: !config.production, stream: options.logStream });
  const ownsDatabase = !options.database;
  const database =
    options.database ??
    (await openDatabase({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      onQuery: config.logQueries ? (sql) => log.info({ sql }, 'sql') : undefined,
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
  // Retention (issue 15): day partitions ahead, expiry each tick.
  const mailDir = config.smtpUrl ? null : join(config.dataDir, 'outbox-mail');
  const retention = createRetentionScheduler({ prisma: database.prisma, databaseUrl: database.url, config, mailDir });
  services.retention = { windows: config.retention, scheduler: retention, mailDir };
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
    // Resolves to the decisions written: the batcher sizes its chunks by them.
    reportPresence: async (organizationId, changes) => {
      const results = await reportHappenings(
        services,
        organizationId,
        PRESENCE_REPORTER,
        changes.map((c) => ({ kind: 'PRESENCE_CHANGED', ...c })),
      );
      return results.reduce((sum, r) => sum + r.events.reduce((n, e) => n + e.decisions.length, 0), 0);
    },
    announceStoredPresence: () => announceStoredPresence(services),
  });
  services.live = live;
  services.sinks.push(live.sink);
  services.sinks.push(metricsSink);
  // Attention (issue 12, E4): missed-chat escalation timers armed with the events, fired by a worker.
  services.sinks.push(createEscalationSink());
  const escalationWorker = createEscalationWorker(services, config.escalationPollMs);
  // Credentials (issues 8, 9): one verifier for every JWT, a cache every instance invalidates.
  const authentication = createAuthenticator({
    prisma: database.prisma,
    tokenSecret: services.tokenSecret,
    tokenTtlSeconds: config.tokenTtlSeconds,
    deploymentSignIn: config.hostSignIn,
    outbound: services.outbound,
    pubsub,
    cacheTtlMs: config.credentialCacheMs,
    cacheCapacity: config.credentialCacheSize,
    jwksCacheMs: config.jwksCacheMs,
  });
  services.authentication = authentication;
  const contextOf = (viewer: Viewer): Context => {
    // From here on, this request's log lines name its organization and operator.
    if (viewer.kind !== 'anonymous') {
      const logged = logContext.getStore();
      if (logged) {
        logged.organizationId = viewer.organizationId;
        if (viewer.kind === 'operator') logged.operatorId = viewer.operatorId;
      }
    }
    return { prisma: database.prisma, services, viewer };
  };
  // Synchronous when the viewer is known without I/O (the credential cache): one promise hop less.
  const contextFor = (authorization: string | null | undefined): Context | Promise<Context> => {
    const known = authentication.known(authorization);
    return known ? contextOf(known) : resolveViewer(authentication, authorization).then(contextOf);
  };

  let shuttingDown = false;
  let stopping: Promise<void> | null = null;
  const readiness = () => checkReadiness({ prisma: database.prisma, redis: pubsub.redis?.client ?? null, shuttingDown });
  // Rate limits (issue 7): one plugin keyed by credential, counted in Redis when REDIS_URL is set.
  const rateLimits = await createRateLimits(config, database.prisma);
  services.rateLimitDefaults = rateLimits.defaults;
  services.ingestionGate = new OrganizationGate(config.ingestionInFlightPerOrganization);
  const requestMetrics = createRequestMetrics(metricsRegistry);
  const yoga = createYoga<{ authorization?: string | null }>({
    schema,
    graphiql: config.production ? false : { subscriptionsProtocol: 'WS' },
    // Offline GraphiQL: its scripts come from this service, not a CDN (graphiql-offline.ts).
    renderGraphiQL: renderOfflineGraphiQL,
    context: ({ request, authorization }) => contextFor(authorization ?? request?.headers.get('authorization')),
    logging: {
      debug: (...args) => log.debug({ args }, 'yoga'),
      info: (...args) => log.info({ args }, 'yoga'),
      warn: (...args) => log.warn({ args }, 'yoga'),
      error: (...args) => log.error({ err: args.find((a) => a instanceof Error), args: args.filter((a) => !(a instanceof Error)) }, 'yoga'),
    },
    maskedErrors: { isDev: false },
    // The same limit, without a stream per request (request-body-limit.ts).
    maxRequestBodySize: false,
    plugins: [
      // Request and operation durations on the service's registry; /metrics is served below, protected.
      requestMetrics.plugin,
      useRateLimits(rateLimits),
      ...operationLimitPlugins(config),
      ...(config.production ? [useIntrospectionGuard()] : [useGraphiQLAssets()]),
      useCompiledSubscriptions(),
      useReadinessEndpoint('/readiness', readiness),
      useRequestBodyLimit(),
    ],
  });

  // Responses still to be written: when shutdown begins they say `Connection: close`, so each
  // keep-alive socket closes after its last answer instead of racing a client's next request.
  const unanswered = new Set<ServerResponse>();
  const serveMetrics = createMetricsHandler({ token: config.metricsToken, prisma: database.prisma });
  const server: Server = createServer((request, response) => {
    const startedAt = performance.now();
    if (shuttingDown) response.setHeader('connection', 'close');
    unanswered.add(response);
    response.once('close', () => {
      unanswered.delete(response);
      requestMetrics.observeHttp(request, response, startedAt);
    });
    // The operator console (issue 9): static files at /console, a client of the public API only.
    if (serveConsole(request, response)) return;
    // /metrics on this port only with METRICS_TOKEN (serve-metrics.ts checks it).
    if (config.metricsToken && request.url?.split('?')[0] === '/metrics') {
      void serveMetrics(request, response);
      return;
    }
    // Every log line of the request carries its id: the caller's X-Request-Id when sane, else a new one.
    const given = request.headers['x-request-id'];
    const requestId = typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
    response.setHeader('x-request-id', requestId);
    logContext.run({ requestId }, () => void yoga(request, response));
  });
  // METRICS_PORT: a second server answering /metrics only, on METRICS_HOST.
  const metricsServer: Server | null =
    config.metricsPort === undefined
      ? null
      : createServer((request, response) => {
          if (request.url?.split('?')[0] === '/metrics') void serveMetrics(request, response);
          else response.writeHead(404).end();
        });
  let metricsUrl: string | null = null;
  // Idle keep-alive sockets outlive the clients' own pools (undici keeps them 4 s, proxies ~60 s):
  // closing first would reset a request racing the close.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  const wsServer = new WebSocketServer({ server, path: yoga.graphqlEndpoint });
  wsServer.on('connection', corkPerTick);
  // Handshakes of a connection burst take turns with everything else (handshake-turns.ts).
  const handshakeTurn = handshakeTurns(HANDSHAKES_PER_TURN);
  // Yoga's masking (maskedErrors above), for the items of compiled subscriptions: the original is logged.
  const maskStreamError = (error: unknown) => {
    const masked = maskError(error, 'Unexpected error.', false);
    if (masked !== error) log.error({ err: error }, 'yoga');
    return masked;
  };
  const wsCleanup = useServer(
    {
      // Only operator tokens open streams: a bad, expired or revoked token, or an API key, closes the
      // socket with 4403 Forbidden (graphql-ws returns false → 4403).
      onConnect: async (ctx) => {
        await handshakeTurn();
        const authorization = (ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization) as string | undefined;
        const viewer = await resolveViewer(authentication, authorization);
        // The upgrade request (headers, raw headers) is not read after the handshake: a stream open for
        // hours should not hold it.
        (ctx.extra as { request?: unknown }).request = undefined;
        if (viewer.kind !== 'operator') {
          metrics.streamRefusals.inc();
          log.info({ viewer: viewer.kind, reason: viewer.kind === 'anonymous' ? viewer.reason : 'NOT_AN_OPERATOR' }, 'stream refused');
        }
        return viewer.kind === 'operator';
      },
      onSubscribe: async (ctx, _id, params) => {
        await handshakeTurn();
        const connectionAuth = (ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization) as string | undefined;
        // What the context factory and plugins read (operation-cost.ts reads `params`); the subscription
        // holds this context as long as it runs, so nothing else of the socket goes in.
        // Pothos's request caches are keyed by initContextCache's key: released once the stream is open.
        const enveloped = yoga.getEnveloped({ params, authorization: connectionAuth ?? null, ...initContextCache() });
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
      // Compiled subscriptions are read straight from their stream, masked as yoga masks (compiled-subscriptions.ts).
      subscribe: async (args) =>
        serveCompiled(
          args.contextValue,
          await (args.rootValue as { subscribe: typeof import('graphql').subscribe }).subscribe(args),
          maskStreamError,
        ) as Awaited<ReturnType<typeof import('graphql').subscribe>>,
    },
    wsServer,
    config.wsKeepAliveMs,
  );

  let retentionStarted: Promise<void> | undefined;
  return {
    services,
    database,
    metricsUrl: () => metricsUrl,
    async start(port = config.port) {
      if (metricsServer) {
        await new Promise<void>((resolve, reject) => {
          metricsServer.once('error', reject);
          metricsServer.listen(config.metricsPort, config.metricsHost, () => resolve());
        });
        metricsUrl = `http://${config.metricsHost}:${(metricsServer.address() as AddressInfo).port}`;
      }
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        // Started before listening: the first report of the day needs its partition.
        retentionStarted ??= retention.start();
        // A reconnect storm opens 1,000 sockets at once: Node's default backlog (511) dropped the rest
        // (and any report's new connection) for a SYN retry of 1–3 s; the kernel caps it at somaxconn.
        server.listen({ port, host: config.host, backlog: LISTEN_BACKLOG }, () => {
          const { port: actual } = server.address() as AddressInfo;
          deliveryWorker.start();
          dailySummary.start();
          escalationWorker.start();
          retentionStarted?.then(() => resolve(`http://${config.host}:${actual}`), reject);
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
      retention.stop(),
      escalationWorker.stop(),
    ]);
    if (http === 'late') {
      server.closeAllConnections();
      for (const socket of wsServer.clients) socket.terminate();
      await closed;
    }
    if (metricsServer) await new Promise<void>((resolve) => metricsServer.close(() => resolve()));
    await services.outbound.close();
    await live.stop();
    authentication.close();
    await pubsub.close();
    await rateLimits.close();
    if (ownsDatabase) await database.close();
  }
}
