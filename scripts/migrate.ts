// npm run migrate: applies the committed migrations to the configured database (DATABASE_URL, or
// the embedded PGlite under DATA_DIR). The service also does this at start.
import { readConfig } from '../src/config.js';
import { openDatabase } from '../src/db/database.js';

const config = readConfig();
const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
console.log(database.appliedMigrations.length ? `applied: ${database.appliedMigrations.join(', ')}` : 'database is up to date');
await database.close();
