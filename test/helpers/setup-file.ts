/**
 * Runs in each test file's worker before the file is imported (vitest setupFiles). On PostgreSQL the
 * file gets a database of its own, cloned from the migrated template (file-database.ts).
 */
import { createFileDatabase } from './file-database.js';

const template = process.env.TEST_POSTGRES_TEMPLATE_URL;
if (template) process.env.TEST_DATABASE_URL = await createFileDatabase(template);
