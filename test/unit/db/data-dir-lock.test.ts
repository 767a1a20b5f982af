import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockDataDir } from '../../../src/db/data-dir-lock.js';

describe('lockDataDir', () => {
  it('refuses a directory held by a live process and takes over a stale lock', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lock-'));
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    writeFileSync(join(dir, 'pglite.pid'), String(other.pid));
    expect(() => lockDataDir(dir)).toThrow(/in use by process/);
    other.kill();
    await new Promise((resolve) => other.once('exit', resolve));
    const release = lockDataDir(dir);
    expect(readFileSync(join(dir, 'pglite.pid'), 'utf8')).toBe(String(process.pid));
    release();
    expect(() => readFileSync(join(dir, 'pglite.pid'))).toThrow();
  });
});
