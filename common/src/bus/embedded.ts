import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { lockDataDir } from '../data-dir-lock';
import type { Logger } from '../logging';
import { appendWhole } from './append-whole';
import { PublishCoalescer } from './coalesce';
import { DEFAULT_RETRY_POLICY, deliverInKeyOrder } from './delivery';
import { repairTornTails } from './embedded-repair';
import {
  UnknownTopicError,
  type BusRecord,
  type EventBus,
  type OutgoingRecord,
  type PartitionOffsets,
  type ReadOptions,
  type Reader,
  type SubscribeOptions,
  type Subscription,
} from './port';

/**
 * The embedded event bus: the Kafka delivery contract (see `./port.ts`) on files in one data folder.
 *
 * Layout: `<dataDir>/topics/<topic>/meta.json` ({ partitions }), `<dataDir>/topics/<topic>/<p>.log` (JSON lines, one
 * record a line; its offset is its line number), `<dataDir>/groups/<group>/<topic>.json` (next offset per partition).
 * `publish` resolves after the appended lines were fsync'd (datasync), so an acknowledged record survives a crash; a
 * partial last line left by a crash mid-append is cut off at open (`./embedded-repair.ts`).
 * Ownership: one data folder belongs to one process (`bus.lock`, see `lockDataDir`). So consumers are woken by publish in-process and
 * by a short poll timer (a safety net only); no other process appends.
 * Memory: consumers read the log files in bounded batches (READ_CHUNK bytes); only counters and cursors stay in memory.
 */

export interface EmbeddedBusOptions {
  dataDir: string;
  log: Logger;
  /** How often an idle consumer re-checks its partitions (ms). */
  pollIntervalMs?: number;
}

const READ_CHUNK = 64 * 1024;
const BATCH = 100;
const topicsDir = (dataDir: string) => path.join(dataDir, 'topics');
const safe = (name: string) => encodeURIComponent(name);

/** Stable partition of a key (same key, same partition, across restarts). */
export function partitionOf(key: string, partitions: number): number {
  return createHash('sha1').update(key).digest().readUInt32BE(0) % partitions;
}

/** Creates the topics that are missing; returns the ones it created. Warns when an existing topic has another count. */
export async function ensureEmbeddedTopics(
  dataDir: string,
  topics: readonly string[],
  spec: { partitions: number },
  log?: Pick<Logger, 'info' | 'warn'>,
): Promise<string[]> {
  const created: string[] = [];
  for (const topic of topics) {
    const dir = path.join(topicsDir(dataDir), safe(topic));
    const existing = await readMeta(dir);
    if (existing) {
      if (existing.partitions !== spec.partitions) log?.warn({ topic, partitions: existing.partitions, wanted: spec.partitions }, 'topic exists with another partition count; left as is');
      continue;
    }
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'meta.json.tmp'), JSON.stringify({ partitions: spec.partitions }));
    await rename(path.join(dir, 'meta.json.tmp'), path.join(dir, 'meta.json'));
    log?.info({ topic, partitions: spec.partitions }, 'topic created');
    created.push(topic);
  }
  return created;
}

/** Names the topics that are missing (empty = ready). */
export async function verifyEmbeddedTopics(dataDir: string, topics: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const topic of topics) if (!(await readMeta(path.join(topicsDir(dataDir), safe(topic))))) missing.push(`embedded bus topic ${topic}`);
  return missing;
}

async function readMeta(dir: string): Promise<{ partitions: number } | undefined> {
  try {
    return JSON.parse(await readFile(path.join(dir, 'meta.json'), 'utf8')) as { partitions: number };
  } catch {
    return undefined;
  }
}

interface StoredRecord {
  k: string;
  v: string; // base64
  h: Record<string, string>;
}

function isStoredRecord(line: string): boolean {
  try {
    const r = JSON.parse(line) as Partial<StoredRecord> | null;
    return typeof r?.k === 'string' && typeof r.v === 'string' && typeof r.h === 'object' && r.h !== null;
  } catch {
    return false;
  }
}

/** A partition's log: its length (record count) and a write queue so appends never interleave. */
class PartitionLog {
  private length: number | undefined;
  constructor(readonly file: string) {}

  async count(): Promise<number> {
    if (this.length === undefined) {
      let n = 0;
      await scanLines(this.file, 0, () => {
        n++;
        return true;
      });
      this.length ??= n;
    }
    return this.length;
  }

  /**
   * Appends and fsyncs; resolves once the lines are on disk. Appends that come while a write is under way go together
   * in the next write (group commit: one fsync for all of them), in call order.
   */
  append(lines: string[]): Promise<void> {
    return this.writes.publish(this.file, lines);
  }

  private readonly writes = new PublishCoalescer<string>({
    maxRecords: 10_000,
    send: async (batches) => {
      const lines = batches.flatMap((b) => b.records);
      await this.count();
      const handle = await open(this.file, 'a');
      try {
        await appendWhole(handle, Buffer.from(lines.join('')));
      } finally {
        await handle.close();
      }
      this.length! += lines.length;
    },
  });
}

/** Calls `onLine(line, endPos)` for each complete line from byte `pos`, a chunk at a time, until it returns false. */
async function scanLines(file: string, pos: number, onLine: (line: string, endPos: number) => boolean): Promise<void> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    let carry = Buffer.alloc(0);
    let carryStart = pos;
    for (;;) {
      const chunk = Buffer.alloc(READ_CHUNK);
      const { bytesRead } = await handle.read(chunk, 0, READ_CHUNK, carryStart + carry.length);
      if (bytesRead === 0) return;
      let buf = Buffer.concat([carry, chunk.subarray(0, bytesRead)]);
      let start = 0;
      for (let nl = buf.indexOf(10, start); nl !== -1; nl = buf.indexOf(10, start)) {
        const end = carryStart + nl + 1;
        if (!onLine(buf.toString('utf8', start, nl), end)) return;
        start = nl + 1;
      }
      carryStart += start;
      buf = buf.subarray(start);
      carry = buf;
    }
  } finally {
    await handle.close();
  }
}

/**
 * Reads one partition's log on from `offset`, a bounded batch (BATCH records) at a time, remembering the byte position
 * of the next record so each batch reads on from where the last one ended.
 *
 * The log's owner reads only the records counted as appended: an append's lines are in the file before its fsync, and
 * one that fails is cut off again, so reading them earlier could act on (and commit past) records that never were.
 * A follower of another process's log has no count to go by and reads every complete line.
 */
class PartitionCursor {
  private pos = 0;
  private posLine = 0;
  constructor(
    private readonly topic: string,
    private readonly partition: number,
    private readonly plog: PartitionLog,
    public offset: number,
    private readonly reads: 'appended' | 'complete-lines' = 'appended',
  ) {}

  async hasMore(): Promise<boolean> {
    return this.offset < (await this.plog.count());
  }

  async nextBatch(): Promise<{ record: BusRecord; endPos: number }[]> {
    const { topic, partition, offset } = this;
    const batch: { record: BusRecord; endPos: number }[] = [];
    const end = this.reads === 'appended' ? await this.plog.count() : Infinity;
    let line = this.posLine;
    await scanLines(this.plog.file, this.pos, (text, endPos) => {
      if (line >= end) return false;
      if (line >= offset) {
        const s = JSON.parse(text) as StoredRecord;
        batch.push({ endPos, record: { topic, partition, offset: String(line), key: s.k, value: Buffer.from(s.v, 'base64'), headers: s.h } });
      } else {
        this.pos = endPos;
        this.posLine = line + 1;
      }
      line++;
      return batch.length < BATCH;
    });
    return batch;
  }

  /** Moves past a record of the last batch. */
  advance(record: BusRecord, endPos: number): void {
    this.offset = Number(record.offset) + 1;
    this.pos = endPos;
    this.posLine = this.offset;
  }
}

interface Member {
  id: string;
  wake(): void;
}

export interface EmbeddedBus extends EventBus {
  readonly dataDir: string;
  /** Records of each partition of `topic` after `groupId`'s committed offset (all of them for a group that never committed). */
  lag(groupId: string, topic: string): Promise<{ partition: number; lag: number }[]>;
}

export function createEmbeddedBus(options: EmbeddedBusOptions): EmbeddedBus {
  const { dataDir, log } = options;
  const pollIntervalMs = options.pollIntervalMs ?? 200;
  const lock = lockDataDir(dataDir, 'bus.lock', 'bus data folder');
  try {
    // The folder is ours now and nothing appends yet: a crash mid-append may have left a partial last line.
    repairTornTails(topicsDir(dataDir), isStoredRecord, log);
  } catch (error) {
    lock.release();
    throw error;
  }
  const logs = new Map<string, PartitionLog>();
  // group -> "topic/partition" -> owning member id
  const owners = new Map<string, Map<string, string>>();
  const members = new Map<string, Set<Member>>();
  const subscriptions = new Set<Subscription>();
  // Group-less readers: woken on publish like group members.
  const readers = new Set<Member>();
  const openReaders = new Set<Reader>();
  let closed = false;

  const partitionLog = (topic: string, p: number) => {
    const file = path.join(topicsDir(dataDir), safe(topic), `${p}.log`);
    let l = logs.get(file);
    if (!l) logs.set(file, (l = new PartitionLog(file)));
    return l;
  };

  // A topic's partition count never changes once created: one lookup per topic, shared by concurrent callers, whose
  // continuations then run in call order (so concurrent publishes reach their partition logs in call order).
  const partitionCounts = new Map<string, Promise<number>>();
  function partitionsOf(topic: string): Promise<number> {
    let count = partitionCounts.get(topic);
    if (!count) {
      count = readMeta(path.join(topicsDir(dataDir), safe(topic))).then((meta) => {
        if (!meta) throw new UnknownTopicError(topic);
        return meta.partitions;
      });
      // A topic missing now may be created later: only an answer is remembered.
      count.catch(() => partitionCounts.delete(topic));
      partitionCounts.set(topic, count);
    }
    return count;
  }

  const wakeAll = () => {
    for (const set of members.values()) for (const m of set) m.wake();
    for (const r of readers) r.wake();
  };

  async function publish(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    if (closed) throw new Error('embedded bus is closed');
    const partitions = await partitionsOf(topic);
    const byPartition = new Map<number, string[]>();
    for (const r of records) {
      const p = partitionOf(r.key, partitions);
      const stored: StoredRecord = { k: r.key, v: Buffer.from(r.value).toString('base64'), h: { ...(r.headers ?? {}) } };
      const list = byPartition.get(p) ?? [];
      list.push(JSON.stringify(stored) + '\n');
      byPartition.set(p, list);
    }
    await Promise.all([...byPartition].map(([p, lines]) => partitionLog(topic, p).append(lines)));
    wakeAll();
  }

  const groupFile = (groupId: string, topic: string) => path.join(dataDir, 'groups', safe(groupId), `${safe(topic)}.json`);

  async function readCommitted(groupId: string, topic: string): Promise<Record<string, number> | undefined> {
    try {
      return JSON.parse(await readFile(groupFile(groupId, topic), 'utf8')) as Record<string, number>;
    } catch {
      return undefined;
    }
  }

  // Commits are serialized per group+topic file: read-modify-write then atomic rename.
  const commitQueues = new Map<string, Promise<unknown>>();
  function commit(groupId: string, topic: string, partition: number, next: number): Promise<void> {
    const file = groupFile(groupId, topic);
    const run = (commitQueues.get(file) ?? Promise.resolve()).then(async () => {
      const offsets = (await readCommitted(groupId, topic)) ?? {};
      offsets[partition] = next;
      await mkdir(path.dirname(file), { recursive: true });
      const tmp = `${file}.${randomUUID()}.tmp`;
      const handle = await open(tmp, 'w');
      try {
        await handle.writeFile(JSON.stringify(offsets));
        await handle.datasync();
      } finally {
        await handle.close();
      }
      await rename(tmp, file);
    });
    commitQueues.set(file, run.catch(() => undefined));
    return run;
  }

  async function subscribe(opts: SubscribeOptions): Promise<Subscription> {
    if (closed) throw new Error('embedded bus is closed');
    const topicPartitions: { topic: string; partitions: number }[] = [];
    for (const topic of opts.topics) topicPartitions.push({ topic, partitions: await partitionsOf(topic) });
    // A group without committed offsets starts at the end unless fromBeginning; pin that start now, as Kafka does.
    for (const { topic, partitions } of topicPartitions) {
      const committed = await readCommitted(opts.groupId, topic);
      if (!committed) {
        for (let p = 0; p < partitions; p++) await commit(opts.groupId, topic, p, opts.fromBeginning ? 0 : await partitionLog(topic, p).count());
      }
    }
    const retry = { ...DEFAULT_RETRY_POLICY, ...opts.retry };
    const abort = new AbortController();
    let wakeUp: (() => void) | undefined;
    const member: Member = { id: randomUUID(), wake: () => wakeUp?.() };
    const groupOwners = owners.get(opts.groupId) ?? new Map<string, string>();
    owners.set(opts.groupId, groupOwners);
    const groupMembers = members.get(opts.groupId) ?? new Set<Member>();
    members.set(opts.groupId, groupMembers);
    groupMembers.add(member);
    const concurrency = Math.max(1, opts.concurrency ?? 1);
    const running = new Map<string, Promise<void>>();

    /**
     * Works one owned partition until it is caught up (or stop); answers whether it handled any record. Each batch goes
     * with up to keyConcurrency records at once (never two of one key), and its handled prefix is committed at the end
     * of the batch and while a record is retried: one fsync'd commit per batch, not per record.
     */
    async function drain(topic: string, partition: number): Promise<boolean> {
      const committed = (await readCommitted(opts.groupId, topic)) ?? {};
      const cursor = new PartitionCursor(topic, partition, partitionLog(topic, partition), committed[partition] ?? 0);
      let handled = false;
      while (!abort.signal.aborted && (await cursor.hasMore())) {
        const batch = await cursor.nextBatch();
        // Counted but not there (the file was cut short behind the bus's back): the next publish or poll tries again.
        if (batch.length === 0) return handled;
        const ends = new Map(batch.map(({ record, endPos }) => [record.offset, endPos]));
        let uncommitted = false;
        const commitHandled = async () => {
          if (!uncommitted) return;
          uncommitted = false;
          await commit(opts.groupId, topic, partition, cursor.offset);
        };
        try {
          await deliverInKeyOrder(
            {
              records: batch.map(({ record }) => record),
              keyConcurrency: opts.keyConcurrency ?? 1,
              mayStart: () => !abort.signal.aborted,
              onHandled: async (record) => {
                cursor.advance(record, ends.get(record.offset)!);
                handled = true;
                uncommitted = true;
              },
            },
            { groupId: opts.groupId, handler: opts.handler, retry, signal: abort.signal, publish, log, beforeRetry: commitHandled },
          );
        } finally {
          await commitHandled();
        }
        // Stopped, or a record was left unhandled: the rest waits for the next owner (or the next drain).
        if (abort.signal.aborted || Number(cursor.offset) < Number(batch[batch.length - 1]!.record.offset) + 1) return handled;
      }
      return handled;
    }

    let turn = 0;
    const loop = (async () => {
      while (!abort.signal.aborted) {
        // Start at a rotating place, so with concurrency below the partition count no partition is starved.
        const all = topicPartitions.flatMap(({ topic, partitions }) => Array.from({ length: partitions }, (_, p) => ({ topic, p })));
        turn = (turn + 1) % all.length;
        for (let i = 0; i < all.length; i++) {
          const { topic, p } = all[(turn + i) % all.length]!;
          const tp = `${topic}/${p}`;
          const owner = groupOwners.get(tp);
          if (owner !== undefined && owner !== member.id) continue;
          groupOwners.set(tp, member.id);
          if (running.has(tp) || running.size >= concurrency || abort.signal.aborted) continue;
          const work = drain(topic, p)
            .then(
              // After real work, look again at once (more may have come, a partition may wait for this slot). A drain
              // that found nothing waits for the next publish or poll: waking here would spin on idle partitions.
              (handled) => handled,
              (error: unknown) => {
                log.error({ err: error, topic, partition: p, groupId: opts.groupId }, 'embedded consumer failed; retrying');
                return false;
              },
            )
            .then((again) => {
              running.delete(tp);
              if (again) member.wake();
            });
          running.set(tp, work);
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, pollIntervalMs);
          wakeUp = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    })();

    let stopping: Promise<void> | undefined;
    const subscription: Subscription = {
      stop() {
        stopping ??= (async () => {
          abort.abort();
          member.wake();
          await loop;
          await Promise.all(running.values());
          for (const [tp, owner] of groupOwners) if (owner === member.id) groupOwners.delete(tp);
          groupMembers.delete(member);
          for (const m of groupMembers) m.wake(); // hand its partitions over
          subscriptions.delete(subscription);
        })();
        return stopping;
      },
    };
    subscriptions.add(subscription);
    return subscription;
  }

  async function offsets(topic: string): Promise<PartitionOffsets[]> {
    if (closed) throw new Error('embedded bus is closed');
    const partitions = await partitionsOf(topic);
    const result: PartitionOffsets[] = [];
    // Nothing is ever deleted from an embedded log: the oldest retained offset is always 0.
    for (let p = 0; p < partitions; p++) result.push({ partition: p, oldest: '0', end: String(await partitionLog(topic, p).count()) });
    return result;
  }

  /** One loop per partition, woken by publish (and the poll timer), each handing its records over in offset order. */
  async function read(opts: ReadOptions): Promise<Reader> {
    if (closed) throw new Error('embedded bus is closed');
    const start = await offsets(opts.topic);
    const abort = new AbortController();
    const wakers = new Set<() => void>();
    const member: Member = { id: randomUUID(), wake: () => [...wakers].forEach((wake) => wake()) };
    const loops = start.map(async ({ partition, end }) => {
      const cursor = new PartitionCursor(opts.topic, partition, partitionLog(opts.topic, partition), Number(opts.from?.[partition] ?? end));
      while (!abort.signal.aborted) {
        try {
          while (!abort.signal.aborted && (await cursor.hasMore())) {
            for (const { record, endPos } of await cursor.nextBatch()) {
              if (abort.signal.aborted) return;
              try {
                await opts.handler(record);
              } catch (error) {
                log.warn({ err: error, topic: opts.topic, partition, offset: record.offset }, 'reader handler failed; record skipped');
              }
              cursor.advance(record, endPos);
            }
          }
        } catch (error) {
          log.error({ err: error, topic: opts.topic, partition }, 'embedded reader failed; retrying');
        }
        await new Promise<void>((resolve) => {
          const wake = () => {
            clearTimeout(timer);
            wakers.delete(wake);
            resolve();
          };
          const timer = setTimeout(wake, pollIntervalMs);
          wakers.add(wake);
          if (abort.signal.aborted) wake();
        });
      }
    });
    readers.add(member);
    let stopping: Promise<void> | undefined;
    const reader: Reader = {
      stop() {
        stopping ??= (async () => {
          abort.abort();
          member.wake();
          await Promise.all(loops);
          readers.delete(member);
          openReaders.delete(reader);
        })();
        return stopping;
      },
    };
    openReaders.add(reader);
    return reader;
  }

  async function lag(groupId: string, topic: string): Promise<{ partition: number; lag: number }[]> {
    const partitions = await partitionsOf(topic);
    const committed = (await readCommitted(groupId, topic)) ?? {};
    const result: { partition: number; lag: number }[] = [];
    for (let p = 0; p < partitions; p++) result.push({ partition: p, lag: Math.max(0, (await partitionLog(topic, p).count()) - (committed[p] ?? 0)) });
    return result;
  }

  return {
    dataDir,
    publish,
    subscribe,
    offsets,
    read,
    lag,
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...subscriptions, ...openReaders].map((s) => s.stop()));
      lock.release();
    },
  };
}

/** Reads a topic's records as they come, from offset 0, without taking the folder (see `followEmbeddedTopic`). */
export interface EmbeddedTopicFollower {
  /** The records appended since the last call (all of them on the first), each partition in offset order. */
  poll(): Promise<BusRecord[]>;
}

/**
 * Follows a topic of a data folder another process owns (tests, inspection), read-only: the logs are append-only and
 * only newline-terminated lines are read, so a record still being appended is left for the next poll. A topic not
 * created yet reads as empty.
 */
export function followEmbeddedTopic(dataDir: string, topic: string): EmbeddedTopicFollower {
  let cursors: PartitionCursor[] | undefined;
  return {
    async poll() {
      if (!cursors) {
        const dir = path.join(topicsDir(dataDir), safe(topic));
        const meta = await readMeta(dir);
        if (!meta) return [];
        cursors = Array.from({ length: meta.partitions }, (_, p) => new PartitionCursor(topic, p, new PartitionLog(path.join(dir, `${p}.log`)), 0, 'complete-lines'));
      }
      const records: BusRecord[] = [];
      for (const cursor of cursors) {
        // Batch after batch until one comes back empty: the log's length is not cached here, another process appends.
        for (let batch = await cursor.nextBatch(); batch.length > 0; batch = await cursor.nextBatch()) {
          for (const { record, endPos } of batch) {
            records.push(record);
            cursor.advance(record, endPos);
          }
        }
      }
      return records;
    },
  };
}

/** Lists the topics that exist in a data folder. */
export async function listEmbeddedTopics(dataDir: string): Promise<string[]> {
  try {
    return (await readdir(topicsDir(dataDir))).map((n) => decodeURIComponent(n));
  } catch {
    return [];
  }
}
