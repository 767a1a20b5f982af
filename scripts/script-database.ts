// The configured database for a command-line script. A PGlite data directory held by the running
// service is refused with one line (no stack trace): PGlite serves one process.
import type { Config } from '../src/config.js';
import { DataDirInUseError } from '../src/db/data-dir-lock.js';
import { type Database, openDatabase } from '../src/db/database.js';

export async function openScriptDatabase(config: Config): Promise<Database> {
  try {
    return await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  } catch (error) {
    if (!(error instanceof DataDirInUseError)) throw error;
    console.error(`${error.message} Or set DATABASE_URL to use PostgreSQL.`);
    process.exit(1);
  }
}
