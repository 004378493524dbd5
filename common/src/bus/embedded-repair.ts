import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, readdirSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logging';

const CHUNK = 64 * 1024;
const NEWLINE = 10;
const LOG_FILE = /^\d+\.log$/;

export type TailRepair = { kind: 'intact' } | { kind: 'truncated'; bytes: number } | { kind: 'terminated' };

/**
 * Repairs the end of one JSON-lines log left by a crash mid-append: bytes after the last newline are a record whose
 * append never finished (its publish never resolved). They are cut off, so the next append starts on a line of its own
 * instead of gluing onto them. Every newline-terminated line stays. When the tail is a whole record that lacks only its
 * newline (`isRecord`), the newline is added instead: at-least-once allows keeping a record nobody was told of.
 */
export function repairTail(file: string, isRecord: (line: string) => boolean): TailRepair {
  const fd = openSync(file, 'r+');
  try {
    const size = fstatSync(fd).size;
    const start = lastLineStart(fd, size);
    if (start === size) return { kind: 'intact' };
    const tail = Buffer.alloc(size - start);
    readSync(fd, tail, 0, tail.length, start);
    if (isRecord(tail.toString('utf8'))) {
      writeSync(fd, '\n', size);
      fsyncSync(fd);
      return { kind: 'terminated' };
    }
    ftruncateSync(fd, start);
    // Durable before any new append lands after it.
    fsyncSync(fd);
    return { kind: 'truncated', bytes: size - start };
  } finally {
    closeSync(fd);
  }
}

/** The byte just after the file's last newline (0 when it has none), reading backwards a chunk at a time. */
function lastLineStart(fd: number, size: number): number {
  const chunk = Buffer.alloc(CHUNK);
  for (let end = size; end > 0; ) {
    const from = Math.max(0, end - CHUNK);
    const n = readSync(fd, chunk, 0, end - from, from);
    const nl = chunk.subarray(0, n).lastIndexOf(NEWLINE);
    if (nl !== -1) return from + nl + 1;
    end = from;
  }
  return 0;
}

/** Repairs every partition log under `topicsDir` (`<topic>/<p>.log`); run at open, before anything appends. */
export function repairTornTails(topicsDir: string, isRecord: (line: string) => boolean, log: Pick<Logger, 'warn'>): void {
  for (const topic of readdirIfAny(topicsDir)) {
    const dir = path.join(topicsDir, topic);
    for (const name of readdirIfAny(dir).filter((n) => LOG_FILE.test(n))) {
      const file = path.join(dir, name);
      const repair = repairTail(file, isRecord);
      if (repair.kind !== 'intact') log.warn({ file, ...repair }, 'repaired the torn end of an embedded bus log (a crash mid-append)');
    }
  }
}

function readdirIfAny(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw error;
  }
}
