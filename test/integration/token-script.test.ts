/**
 * `npm run token -- <email>` (issue 9, part 4) as a person runs it, on an embedded database in a
 * data directory: refused in one line while another live process holds the directory, then a
 * token for the operator that the service started on the same directory accepts.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.js';
import { createOrganization } from '../../src/services/organizations.js';
import { startTestServer } from '../helpers/test-server.js';

const dataDir = mkdtempSync(join(tmpdir(), 'token-script-'));
const script = new URL('../../scripts/token.ts', import.meta.url).pathname;

function runToken(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '', TOKEN_SECRET: '' };
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', script, ...args], { env }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

let holder: ChildProcess | undefined;
beforeAll(async () => {
  // From the suite's migrated template: no initdb, no migrations to run.
  const template = process.env.TEST_PGLITE_TEMPLATE;
  const pgliteTemplate = template ? new Blob([await readFile(template)]) : undefined;
  const database = await openDatabase({ dataDir, pgliteTemplate });
  await createOrganization(database.prisma, { name: 'Acme', adminName: 'Ada', adminEmail: 'ada@example.test' });
  await database.close();
});
afterAll(() => {
  holder?.kill();
});

// Each case starts Node processes with tsx (a second or two apiece on an idle machine): generous
// timeouts for a loaded CI host.
describe('npm run token', { timeout: 120_000 }, () => {
  it('refuses in one line while the embedded database is held by a running process', async () => {
    holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    writeFileSync(join(dataDir, 'pglite.pid'), String(holder.pid));
    const refused = await runToken('ada@example.test');
    holder.kill();
    await new Promise((resolve) => holder?.once('exit', resolve));
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr.trim().split('\n')).toEqual([expect.stringMatching(/in use by process \d+: stop it first/)]);
  });

  it('mints a token the service accepts; an unknown email is refused in one line', async () => {
    const unknown = await runToken('nobody@example.test');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim().split('\n')).toEqual(['No active operator has the email nobody@example.test.']);

    const minted = await runToken('ADA@example.test');
    expect(minted.code).toBe(0);
    const token = minted.stdout.trim();
    expect(token.split('.')).toHaveLength(3);
    expect(minted.stderr).toMatch(/Token for Ada <ada@example.test> of "Acme", expires /);

    const database = await openDatabase({ dataDir });
    // The service on the same directory, with the signing key stored there (no TOKEN_SECRET).
    const server = await startTestServer({ database, config: { tokenSecret: undefined } });
    try {
      const me = await server.gql<{ me: { name: string } }>(`{ me { name } }`, {}, token);
      expect(me.data?.me.name).toBe('Ada');
    } finally {
      await server.stop();
      await database.close();
    }
  });
});
