// Process entry: read config, start the app, log where it listens, stop cleanly on signals.
import { createApp } from './app.js';
import { readConfig } from './config.js';

const config = readConfig();
try {
  const app = await createApp({ config });
  const url = await app.start();
  console.log(`notification service on ${url}/graphql (${app.database.kind}${config.databaseUrl ? '' : ` in ${config.dataDir}`})`);
  const shutdown = async (signal: string) => {
    console.log(`${signal}: stopping`);
    await app.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
} catch (error) {
  console.error('failed to start:', error);
  process.exit(1);
}
