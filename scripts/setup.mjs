// Makes a fresh clone runnable: installs dependencies when missing or stale, then generates the
// Prisma client and Pothos types when missing or older than the schema. Called by npm start/test.
import { execSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

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
