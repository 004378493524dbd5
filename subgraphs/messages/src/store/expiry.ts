import type Database from 'better-sqlite3';

/** Milliseconds since the epoch; injectable so tests move time instead of waiting days for it. */
export type Clock = () => number;
export const systemClock: Clock = () => Date.now();

const DAY_MS = 24 * 60 * 60 * 1000;
/** The Cassandra tables' `default_time_to_live` (CQL 005 and 004), which the embedded adapters mirror. */
export const SEND_CLAIM_TTL_MS = 7 * DAY_MS;
export const PLATFORM_REF_TTL_MS = 30 * DAY_MS;

/** How an embedded adapter with expiring rows tells time and how often it deletes what has expired. */
export interface ExpiryOptions {
  now?: Clock;
  /** Between sweeps (default hourly). Reads skip expired rows in between, as Cassandra's do, so this bounds size only. */
  sweepIntervalMs?: number;
}

const DEFAULT_SWEEP_INTERVAL_MS = 60 * 60 * 1000;
/** Rows deleted per statement: a backlog after a long stop is cleared in short steps, not one long event-loop stall. */
export const SWEEP_BATCH = 1000;

/**
 * Deletes a table's rows whose `expires_at` (milliseconds, indexed) has passed: once soon after open, then every
 * interval. Its timers never keep the process alive.
 */
export class ExpirySweeper {
  private readonly deleteBatch: Database.Statement;
  private readonly intervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  /** `table` and `keyColumns` come from code (never from input): they are spliced into the statement. */
  constructor(db: Database.Database, table: string, keyColumns: readonly string[], private readonly now: Clock, intervalMs?: number) {
    const key = keyColumns.join(', ');
    // WITHOUT ROWID tables have no rowid to limit by: select a batch of primary keys, delete those.
    this.deleteBatch = db.prepare(`DELETE FROM ${table} WHERE (${key}) IN (SELECT ${key} FROM ${table} WHERE expires_at <= ? LIMIT ${SWEEP_BATCH})`);
    this.intervalMs = intervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
  }

  /** Deletes every expired row now, batch by batch; answers how many. */
  sweep(): number {
    let total = 0;
    for (;;) {
      const deleted = this.sweepBatch();
      total += deleted;
      if (deleted < SWEEP_BATCH) return total;
    }
  }

  start(): void {
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private sweepBatch(): number {
    return this.deleteBatch.run(this.now()).changes;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      let full = false;
      try {
        full = this.sweepBatch() === SWEEP_BATCH;
      } catch {
        // Best effort (e.g. the file stayed busy past busy_timeout): reads skip expired rows anyway, try next interval.
      }
      // A full batch means more may be waiting: go on at once, letting other work run between batches.
      this.schedule(full ? 0 : this.intervalMs);
    }, delayMs);
    this.timer.unref();
  }
}
