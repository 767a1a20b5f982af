// Process entry: read config, start the app, log where it listens, stop cleanly on signals.
import { createApp } from './app.js';
import { readConfig } from './config.js';
import { bootstrapOrganization } from './services/organizations.js';

const config = readConfig();
try {
  const app = await createApp({ config });
  // Graceful (app.stop): in-flight requests finish within SHUTDOWN_GRACE_MS, streams close with 1001.
  const shutdown = async (signal: string) => {
    console.log(`${signal}: stopping (in-flight requests get up to ${config.shutdownGraceMs} ms)`);
    try {
      await app.stop();
    } catch (error) {
      console.error('stop failed:', error);
      process.exit(1);
    }
    console.log('stopped');
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  const url = await app.start();
  console.log(`notification service on ${url}/graphql (${app.database.kind}${config.databaseUrl ? '' : ` in ${config.dataDir}`})`);
  // First start of the embedded database: create an organization so GraphiQL is usable at once.
  if (app.database.kind === 'pglite' && (await app.database.prisma.organization.count()) === 0) {
    const { services } = app;
    const credentials = await bootstrapOrganization(services.prisma, services.tokenSecret, services.tokenTtlSeconds, {
      name: 'My organization',
      adminName: 'Admin',
      adminEmail: 'admin@example.com',
    });
    console.log(`first start: created an organization. Open ${url}/graphql with the header`);
    console.log(
      `  {"Authorization": "Bearer ${credentials.adminToken}"}   (admin token, expires ${credentials.adminTokenExpiresAt.toISOString()})`,
    );
    console.log(`  integrator API key (shown once): ${credentials.integratorApiKey}`);
  }
} catch (error) {
  console.error('failed to start:', error);
  process.exit(1);
}
