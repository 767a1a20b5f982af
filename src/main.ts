// Process entry: read config, start the app, log where it listens, stop cleanly on signals.
import { createApp } from './app.js';
import { readConfig } from './config.js';
import { applyGcTuning } from './observability/gc-tuning.js';
import { configureLogging, log } from './observability/logger.js';
import { bootstrapOrganization } from './services/organizations.js';

const config = readConfig();
applyGcTuning(config);
configureLogging({ level: config.logLevel, pretty: !config.production });
try {
  const app = await createApp({ config });
  // Graceful (app.stop): in-flight requests finish within SHUTDOWN_GRACE_MS, streams close with 1001.
  const shutdown = async (signal: string) => {
    log.info(
      { signal, graceMs: config.shutdownGraceMs },
      `${signal}: stopping (in-flight requests get up to ${config.shutdownGraceMs} ms)`,
    );
    try {
      await app.stop();
    } catch (error) {
      log.error({ err: error }, 'stop failed');
      process.exit(1);
    }
    log.info('stopped');
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  const url = await app.start();
  log.info(
    {
      url: `${url}/graphql`,
      database: app.database.kind,
      dataDir: config.databaseUrl ? undefined : config.dataDir,
      metrics: app.metricsUrl() ?? undefined,
    },
    `notification service on ${url}/graphql`,
  );
  // First start of the embedded database: create an organization so GraphiQL is usable at once.
  if (app.database.kind === 'pglite' && (await app.database.prisma.organization.count()) === 0) {
    const { services } = app;
    const credentials = await bootstrapOrganization(services.prisma, services.tokenSecret, services.tokenTtlSeconds, {
      name: 'My organization',
      adminName: 'Admin',
      adminEmail: 'admin@example.com',
    });
    log.info({ organizationId: credentials.organizationId }, 'first start: created an organization');
    // The credentials are handed to the person at the terminal, once: printed, never logged.
    process.stdout.write(
      [
        `Open ${url}/graphql with the header`,
        `  {"Authorization": "Bearer ${credentials.adminToken}"}   (admin token, expires ${credentials.adminTokenExpiresAt.toISOString()})`,
        `  integrator API key (shown once): ${credentials.integratorApiKey}`,
        '',
      ].join('\n'),
    );
  }
} catch (error) {
  log.error({ err: error }, 'failed to start');
  process.exit(1);
}
