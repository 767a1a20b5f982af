/**
 * createApp(deps) → { start(port), stop() }: graphql-yoga over a Node HTTP server, with graphql-ws
 * on the same port and path.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { useServer } from 'graphql-ws/use/ws';
import { createYoga } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import type { Config } from './config.js';
import { type Context, resolveViewer } from './context.js';
import { type Database, openDatabase } from './db/database.js';
import { schema } from './graphql/schema.js';
import { createPubSub } from './pubsub.js';
import { createDailySummaryScheduler } from './services/analytics/daily-summary-scheduler.js';
import { createDeliveryWorker } from './services/delivery/delivery-worker.js';
import { reportHappenings } from './services/ingestion/report-happenings.js';
import { useCompiledSubscriptions } from './services/live/compiled-subscriptions.js';
import { corkPerTick } from './services/live/cork-per-tick.js';
import { createLive, registerConnectionCloser } from './services/live/live.js';
import type { Services } from './services/services.js';
import { loadTokenSecret } from './services/token-secret.js';

export interface AppOptions {
  config: Config;
  /** An already open database (tests share one per file); otherwise opened from the config. */
  database?: Database;
}

export interface App {
  services: Services;
  database: Database;
  /** Listens on `port` (0 picks a free one) and resolves to the base URL. */
  start(port?: number): Promise<string>;
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
    streamBufferLimit: config.streamBufferLimit,
    reportPresence: (organizationId, operatorId, presence) =>
      reportHappenings(services, organizationId, { kind: 'OPERATOR', id: operatorId }, [
        { kind: 'PRESENCE_CHANGED', operatorId, presence },
      ]),
  });
  services.live = live;
  services.sinks.push(live.sink);
  const contextFor = async (authorization: string | null | undefined): Promise<Context> => ({
    prisma: database.prisma,
    services,
    viewer: await resolveViewer(database.prisma, services.tokenSecret, authorization),
  });

  const yoga = createYoga<{ authorization?: string | null }>({
    schema,
    graphiql: { subscriptionsProtocol: 'WS' },
    context: ({ request, authorization }) => contextFor(authorization ?? request?.headers.get('authorization')),
    logging: 'warn',
    plugins: [useCompiledSubscriptions()],
  });

  const server: Server = createServer(yoga);
  // Idle keep-alive sockets outlive the clients' own pools (undici keeps them 4 s, proxies ~60 s):
  // closing first would reset a request racing the close.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  const wsServer = new WebSocketServer({ server, path: yoga.graphqlEndpoint });
  wsServer.on('connection', corkPerTick);
  const wsCleanup = useServer(
    {
      // A bad or expired credential closes the socket with 4403 Forbidden (graphql-ws returns false → 4403).
      onConnect: async (ctx) => {
        const authorization = (ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization) as string | undefined;
        const viewer = await resolveViewer(database.prisma, services.tokenSecret, authorization);
        return viewer.kind !== 'anonymous';
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
        const document = enveloped.parse(params.query);
        const errors = enveloped.validate(enveloped.schema, document);
        if (errors.length > 0) return errors;
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
          resolve(`http://${config.host}:${actual}`);
        });
      });
    },
    async stop() {
      await dailySummary.stop();
      await deliveryWorker.stop();
      await wsCleanup.dispose();
      wsServer.close();
      await live.stop();
      await pubsub.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (ownsDatabase) await database.close();
    },
  };
}
