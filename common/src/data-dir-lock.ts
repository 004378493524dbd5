import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';

/**
 * One data folder belongs to one process: a lock file in it holds the owner's pid. A second opener is refused while
 * that process lives (the owner itself included: a folder is opened once), and a stale lock of a dead process is taken
 * over. The embedded adapters use it because their engines (files, SQLite, PGlite) do not refuse a second writer.
 */
export class DataDirLockedError extends Error {
  constructor(readonly dataDir: string, readonly pid: number, what = 'data folder') {
    super(`${what} ${dataDir} is in use by process ${pid}`);
    this.name = 'DataDirLockedError';
  }
}

export interface DataDirLock {
  readonly path: string;
  /** Removes the lock file; calling it again does nothing. */
  release(): void;
}

/**
 * Creates `dataDir` when missing and takes its lock `lockName`, synchronously, so a locked folder is refused at once.
 * `what` names the folder in the error, e.g. "bus data folder".
 */
export function lockDataDir(dataDir: string, lockName: string, what?: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const lockPath = path.join(dataDir, lockName);
  for (;;) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number(readFileSync(lockPath, 'utf8'));
      if (pid && isAlive(pid)) throw new DataDirLockedError(dataDir, pid, what);
      unlinkSync(lockPath); // stale: its process is gone
    }
  }
  let held = true;
  return {
    path: lockPath,
    release() {
      if (!held) return;
      held = false;
      try {
        unlinkSync(lockPath);
      } catch {
        // already gone
      }
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
