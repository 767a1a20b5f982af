// Makes a fresh clone runnable: installs dependencies when missing or stale, then generates the
// Prisma client and Pothos types when missing or older than the schema, the typed documents, and
// the console bundle (web/dist). Called by npm start/test.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';

const mtime = (path) => (existsSync(path) ? statSync(path).mtimeMs : 0);
const run = (command, env = {}) => execSync(command, { stdio: 'inherit', env: { ...process.env, ...env } });

if (mtime('node_modules/.package-lock.json') < mtime('package-lock.json')) {
  run('npm ci --no-audit --no-fund');
}
if (mtime('src/generated/pothos-types.ts') < mtime('prisma/schema.prisma')) {
  // generate needs no engine; pointing the variable at any executable stops the CLI from trying
  // to download the native schema engine, which this network cannot reach.
  run('npx prisma generate', { PRISMA_SCHEMA_ENGINE_BINARY: process.execPath, PRISMA_HIDE_UPDATE_MESSAGE: '1' });
}

// Typed documents of the test and console operations, from the committed schema.graphql.
const filesIn = (dir) => readdirSync(dir, { recursive: true }).map((file) => `${dir}/${file}`);
const operations = [...filesIn('test/operations'), ...filesIn('web/operations')];
const newestInput = Math.max(mtime('schema.graphql'), mtime('codegen.ts'), ...operations.map(mtime));
if (Math.min(mtime('test/generated/graphql.ts'), mtime('web/generated/graphql.ts')) < newestInput) {
  run('npx graphql-codegen --config codegen.ts');
}

// The operator console (/console), bundled from web/ when missing or older than its sources.
const consoleSources = [
  ...filesIn('web/src'),
  'web/index.html',
  'web/console.css',
  'web/generated/graphql.ts',
  'scripts/build-console.mjs',
];
if (mtime('web/dist/console.js') < Math.max(...consoleSources.map(mtime))) {
  run('node scripts/build-console.mjs');
}
