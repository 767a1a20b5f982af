/**
 * PGlite is a single-process database: two processes opening one data directory corrupt it. The
 * lock file holds the owner's pid; a stale lock (its process is gone) is taken over.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The data directory is held by another live process (scripts print its message as one line). */
export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly ownerPid: number,
  ) {
    super(`The embedded database in ${dataDir} is in use by process ${ownerPid}: stop it first (PGlite serves one process).`);
    this.name = 'DataDirInUseError';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the data directory for this process; returns the release function. */
export function lockDataDir(dataDir: string): () => void {
  const path = join(dataDir, 'pglite.pid');
  try {
    writeFileSync(path, String(process.pid), { flag: 'wx' });
  } catch {
    const owner = Number(readFileSync(path, 'utf8'));
    if (owner !== process.pid && isAlive(owner)) {
      throw new DataDirInUseError(dataDir, owner);
    }
    writeFileSync(path, String(process.pid));
  }
  return () => rmSync(path, { force: true });
}
