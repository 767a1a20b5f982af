/**
 * Runs in each test file's worker before the file is imported (vitest setupFiles). On PostgreSQL the
 * file gets a database of its own, cloned from the migrated template (file-database.ts); on PGlite
 * it does nothing (and loads nothing).
 */
const template = process.env.TEST_POSTGRES_TEMPLATE_URL;
if (template) {
  const { createFileDatabase } = await import('./file-database.js');
  process.env.TEST_DATABASE_URL = await createFileDatabase(template);
}
