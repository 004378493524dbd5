import type { Client, types } from 'cassandra-driver';
import { TtlLru, type CassandraConfig } from '@chat4all/common';
import { bucketOfId, bucketOfTime } from './buckets';
import { connectCassandra, type ConsistencyLevel } from './client';
import { InvalidMessageIdError, isMessageId, messageIdTime } from './ids';
import { decodeCursor, encodeCursor, pageSize } from './pagination';
import type { MessageStore } from './port';
import { canAdvance, deriveStatus, transitionTime, type StoredStatus } from './status';
import { CHANNELS, MESSAGE_STATUSES } from './types';
import type { Channel, ListOptions, Message, MessagePage, MessageStatus, NewMessage } from './types';

/** How many of a conversation's day buckets one history query fetches at a time. */
const BUCKETS_PER_QUERY = 16;

const CQL = {
  insertContent: `INSERT INTO messages_by_conversation
    (conversation_id, bucket, id, sender_id, content, file_id, channel, client_message_id, created_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  insertBucket: 'INSERT INTO conversation_buckets (conversation_id, bucket) VALUES (?, ?)',
  insertStatus: `INSERT INTO message_status (conversation_id, bucket, message_id, status, at, reason) VALUES (?, ?, ?, ?, ?, ?)`,
  insertById: 'INSERT INTO messages_by_id (id, conversation_id) VALUES (?, ?)',
  insertByClientId: `INSERT INTO messages_by_client_id (sender_id, client_message_id, message_id, conversation_id)
    VALUES (?, ?, ?, ?)`,
  selectById: 'SELECT conversation_id FROM messages_by_id WHERE id = ?',
  selectByClientId: 'SELECT message_id, conversation_id FROM messages_by_client_id WHERE sender_id = ? AND client_message_id = ?',
  selectContent: `SELECT id, conversation_id, sender_id, content, file_id, channel, client_message_id, created_at
    FROM messages_by_conversation WHERE conversation_id = ? AND bucket = ? AND id = ?`,
  selectStatuses: `SELECT message_id, status, at, reason FROM message_status
    WHERE conversation_id = ? AND bucket = ? AND message_id = ?`,
  // Buckets strictly older than the given one (callers pass bucket + 1 to include it).
  selectBuckets: 'SELECT bucket FROM conversation_buckets WHERE conversation_id = ? AND bucket < ? LIMIT ?',
  selectPage: `SELECT id, conversation_id, sender_id, content, file_id, channel, client_message_id, created_at
    FROM messages_by_conversation WHERE conversation_id = ? AND bucket = ? LIMIT ?`,
  selectPageBefore: `SELECT id, conversation_id, sender_id, content, file_id, channel, client_message_id, created_at
    FROM messages_by_conversation WHERE conversation_id = ? AND bucket = ? AND id < ? LIMIT ?`,
  selectStatusRange: `SELECT message_id, status, at, reason FROM message_status
    WHERE conversation_id = ? AND bucket = ? AND message_id >= ? AND message_id <= ?`,
  // A bucket's newest status rows (newest message first), read beside its newest page.
  selectNewestStatuses: `SELECT message_id, status, at, reason FROM message_status WHERE conversation_id = ? AND bucket = ? LIMIT ?`,
} as const;

/**
 * Status rows read beside today's newest page, per message of it: a message that went through its lifecycle has two
 * (DELIVERED, READ; SENT is implied). A page whose messages hold more falls back to the range query.
 */
const PREFETCHED_STATUS_ROWS_PER_MESSAGE = 2;

/**
 * The write timestamp of a status row: the earlier its time, the later the write. Two writers can both pass
 * `canAdvance` (there is no transaction around the read and the write) and write the same row, e.g. the router's own
 * DELIVERED and the connector's; Cassandra keeps the write with the highest timestamp, so this keeps the first time
 * whatever order the writes land in. Rows of `message_status` are never deleted or updated otherwise; a delete
 * added one day must use a timestamp above these (2^53 minus the time in microseconds: above the clock until 2112).
 */
function firstTimeWins(at: Date): number {
  return Number.MAX_SAFE_INTEGER - at.getTime() * 1000;
}

const WRITTEN_BUCKETS = 100_000;
/**
 * Message id → conversation id pairs remembered (~200 bytes each with the map's own, so ~4 MB): lookups by id come
 * mostly within seconds of the store (the gateway resolving a message's status events), and that is minutes of sends.
 */
const KNOWN_CONVERSATIONS = 20_000;

export interface CassandraMessageStoreOptions {
  /** Consistency for every read and write; LOCAL_QUORUM by default (read-your-writes within a datacenter). */
  consistency?: ConsistencyLevel;
}

/**
 * MessageStore on Cassandra (tables in migrations/). Every write is a plain upsert of rows keyed by what they describe,
 * so retries and redeliveries rewrite identical values; there are no lightweight transactions.
 */
export class CassandraMessageStore implements MessageStore {
  /**
   * (conversation, day bucket) rows this process has written: a bucket row never changes once there, so it is written
   * once per conversation and day rather than with every message (bounded: a forgotten one is only written again).
   */
  private readonly writtenBuckets = new TtlLru<string, true>(WRITTEN_BUCKETS, Infinity);
  /**
   * Which conversation a message belongs to, for messages this process stored or looked up: a message never moves, so
   * a lookup by id alone (a gateway's entity fetch, three times per message as its status moves) skips the
   * `messages_by_id` read that would otherwise come before the row's. Bounded; a forgotten one is only read again.
   */
  private readonly conversationOf = new TtlLru<string, string>(KNOWN_CONVERSATIONS, Infinity);

  private constructor(private readonly client: Client) {}

  /** Connects to the configured keyspace, which `migrateCassandra` must have prepared. */
  static async connect(config: CassandraConfig, options: CassandraMessageStoreOptions = {}): Promise<CassandraMessageStore> {
    const client = await connectCassandra(config, { keyspace: config.CASSANDRA_KEYSPACE, ...options });
    return new CassandraMessageStore(client);
  }

  async insert(message: NewMessage): Promise<void> {
    if (!isMessageId(message.id)) throw new InvalidMessageIdError(message.id);
    const bucket = bucketOfId(message.id);
    const { id, conversationId, senderId, createdAt } = message;
    const bucketKey = `${conversationId}/${bucket}`;
    // undefined (not null) leaves absent columns unset: no tombstones, and a redelivery rewrites the same cells.
    const rows: { query: string; params: unknown[] }[] = [
      {
        query: CQL.insertContent,
        params: [conversationId, bucket, id, senderId, message.content, message.fileId, message.channel, message.clientMessageId, createdAt],
      },
      { query: CQL.insertById, params: [id, conversationId] },
    ];
    if (!this.writtenBuckets.get(bucketKey)) rows.push({ query: CQL.insertBucket, params: [conversationId, bucket] });
    if (message.clientMessageId !== undefined) {
      rows.push({ query: CQL.insertByClientId, params: [senderId, message.clientMessageId, id, conversationId] });
    }
    // One request instead of two in sequence (Cassandra's cost here is per request more than per row). Unlogged: the
    // rows may land one by one, so a lookup can for a moment name a message whose row is not there yet; get() then
    // answers null, as before the message was stored, until the writer's retry or the router's redelivery completes it.
    await this.client.batch(rows, { logged: false });
    this.writtenBuckets.set(bucketKey, true);
    this.conversationOf.set(id, conversationId);
  }

  async get(id: string, conversationId?: string): Promise<Message | null> {
    if (!isMessageId(id)) return null;
    if (conversationId !== undefined) return this.getInConversation(id, conversationId);
    const known = this.conversationOf.get(id);
    if (known !== undefined) return this.getInConversation(id, known);
    const pointer = (await this.client.execute(CQL.selectById, [id])).first();
    if (!pointer) return null;
    const found = pointer.get('conversation_id') as string;
    this.conversationOf.set(id, found);
    return this.getInConversation(id, found);
  }

  async getMany(ids: readonly string[]): Promise<(Message | null)[]> {
    const unique = [...new Set(ids)];
    const found = await Promise.all(unique.map((id) => this.get(id)));
    const byId = new Map(unique.map((id, i) => [id, found[i] ?? null]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  async listByConversation(conversationId: string, options: ListOptions = {}): Promise<MessagePage> {
    const first = pageSize(options.first);
    const afterId = options.after ? decodeCursor(options.after) : undefined;
    const afterBucket = afterId === undefined ? undefined : bucketOfId(afterId);
    const rows: types.Row[] = [];
    const want = first + 1; // one more than the page tells whether a next page exists

    let below = afterBucket === undefined ? 2 ** 31 - 1 : afterBucket + 1;
    // The newest page of a conversation in use is today's: read beside the bucket list rather than after it (one round
    // trip instead of two), and used when the list reaches today's bucket (usually first; a clock ahead of ours could
    // have written a later one, whose rows then come before it: `want` rows of today's are then more than enough).
    // Its newest status rows are read at the same time, so such a page costs one round trip in all when they cover it.
    const today = afterId === undefined ? bucketOfTime(Date.now()) : undefined;
    const todaysPage = today === undefined ? undefined : this.client.execute(CQL.selectPage, [conversationId, today, want]);
    const statusLimit = want * PREFETCHED_STATUS_ROWS_PER_MESSAGE;
    const todaysStatuses =
      today === undefined ? undefined : { bucket: today, limit: statusLimit, rows: this.client.execute(CQL.selectNewestStatuses, [conversationId, today, statusLimit]) };
    // Awaited below when used; a failure then fails the page as any read does.
    todaysPage?.catch(() => undefined);
    todaysStatuses?.rows.catch(() => undefined);
    fetching: for (;;) {
      const buckets = await this.client.execute(CQL.selectBuckets, [conversationId, below, BUCKETS_PER_QUERY]);
      for (const row of buckets.rows) {
        const bucket = row.get('bucket') as number;
        below = bucket;
        const limit = want - rows.length;
        const page =
          bucket === today && todaysPage
            ? await todaysPage
            : afterId !== undefined && bucket === afterBucket
              ? await this.client.execute(CQL.selectPageBefore, [conversationId, bucket, afterId, limit])
              : await this.client.execute(CQL.selectPage, [conversationId, bucket, limit]);
        rows.push(...page.rows);
        if (rows.length >= want) break fetching;
      }
      if (buckets.rowLength < BUCKETS_PER_QUERY) break;
    }

    const pageRows = rows.slice(0, first);
    const statuses = await this.statusesFor(conversationId, pageRows, todaysStatuses);
    const items = pageRows.map((row) => toMessage(row, statuses.get(row.get('id') as string) ?? []));
    const last = pageRows[pageRows.length - 1];
    return {
      items,
      endCursor: last ? encodeCursor(last.get('id') as string) : null,
      hasNextPage: rows.length > first,
    };
  }

  async recordStatus(id: string, conversationId: string, status: MessageStatus, at: Date, reason?: string): Promise<boolean> {
    if (!isMessageId(id)) throw new InvalidMessageIdError(id);
    const bucket = bucketOfId(id);
    const stored = await this.client.execute(CQL.selectStatuses, [conversationId, bucket, id]);
    // SENT is implied by the message existing; its time does not matter for the decision.
    const transitions = stored.rows.map(toStoredStatus);
    const current = deriveStatus(new Date(0), transitions).status;
    if (!canAdvance(current, status)) return false;
    const recordedAt = transitionTime(messageIdTime(id), transitions, at);
    // A status event can outrun the message's insert (they travel on different topics), so it is recorded without
    // checking that the message exists; the row stays invisible until the message itself is stored.
    const failure = status === 'FAILED' ? (reason ?? null) : undefined;
    await this.client.execute(CQL.insertStatus, [conversationId, bucket, id, status, recordedAt, failure], { timestamp: firstTimeWins(recordedAt) });
    return true;
  }

  async findByClientMessageId(senderId: string, clientMessageId: string): Promise<Message | null> {
    const pointer = (await this.client.execute(CQL.selectByClientId, [senderId, clientMessageId])).first();
    if (!pointer) return null;
    // The pointer names the conversation too, so the message's row is read directly.
    return this.get(pointer.get('message_id') as string, pointer.get('conversation_id') as string);
  }

  async close(): Promise<void> {
    await this.client.shutdown();
  }

  private async getInConversation(id: string, conversationId: string): Promise<Message | null> {
    const bucket = bucketOfId(id);
    const [content, statuses] = await Promise.all([
      this.client.execute(CQL.selectContent, [conversationId, bucket, id]),
      this.client.execute(CQL.selectStatuses, [conversationId, bucket, id]),
    ]);
    const row = content.first();
    return row ? toMessage(row, statuses.rows.map(toStoredStatus)) : null;
  }

  /**
   * Status rows for a page: one range query per day bucket the page touches, except a bucket whose newest status rows
   * were read already and cover the page's messages in it (see `coveredBy`).
   */
  private async statusesFor(conversationId: string, rows: types.Row[], prefetched?: PrefetchedStatuses): Promise<Map<string, StoredStatus[]>> {
    const idsByBucket = new Map<number, string[]>();
    for (const row of rows) {
      const id = row.get('id') as string;
      const bucket = bucketOfId(id);
      const ids = idsByBucket.get(bucket) ?? [];
      ids.push(id);
      idsByBucket.set(bucket, ids);
    }
    const results = await Promise.all(
      [...idsByBucket].map(async ([bucket, ids]) => {
        // Rows come newest first, so the last id is the smallest.
        const oldest = ids[ids.length - 1]!;
        if (prefetched?.bucket === bucket) {
          const newest = await prefetched.rows;
          if (coveredBy(newest, prefetched.limit, oldest)) return newest;
        }
        return this.client.execute(CQL.selectStatusRange, [conversationId, bucket, oldest, ids[0]]);
      }),
    );
    const byMessage = new Map<string, StoredStatus[]>();
    for (const result of results) {
      for (const row of result.rows) {
        const id = row.get('message_id') as string;
        const list = byMessage.get(id) ?? [];
        list.push(toStoredStatus(row));
        byMessage.set(id, list);
      }
    }
    return byMessage;
  }
}

interface PrefetchedStatuses {
  bucket: number;
  limit: number;
  rows: Promise<types.ResultSet>;
}

/**
 * Whether a bucket's newest status rows (message id descending, `limit` at most) hold every status row of the
 * messages from `oldestId` up: the bucket had no more, or they reach past `oldestId` (a row of an older message came
 * after all of its). Rows of messages not on the page are read too and never looked up.
 */
function coveredBy(newest: types.ResultSet, limit: number, oldestId: string): boolean {
  if (newest.rowLength < limit) return true;
  const last = newest.rows[newest.rowLength - 1];
  return last !== undefined && (last.get('message_id') as string) < oldestId;
}

function optionalText(row: types.Row, column: string): string | undefined {
  const value = row.get(column) as string | null;
  return value ?? undefined;
}

function toStoredStatus(row: types.Row): StoredStatus {
  const status = row.get('status') as string;
  if (!(MESSAGE_STATUSES as readonly string[]).includes(status)) throw new Error(`unknown message status in Cassandra: ${status}`);
  const stored: StoredStatus = { status: status as MessageStatus, at: row.get('at') as Date };
  const reason = optionalText(row, 'reason');
  if (reason !== undefined) stored.reason = reason;
  return stored;
}

function toMessage(row: types.Row, statusRows: StoredStatus[]): Message {
  const createdAt = row.get('created_at') as Date;
  const derived = deriveStatus(createdAt, statusRows);
  const message: Message = {
    id: row.get('id') as string,
    conversationId: row.get('conversation_id') as string,
    senderId: row.get('sender_id') as string,
    createdAt,
    status: derived.status,
    statusHistory: derived.statusHistory,
  };
  const content = optionalText(row, 'content');
  if (content !== undefined) message.content = content;
  const fileId = optionalText(row, 'file_id');
  if (fileId !== undefined) message.fileId = fileId;
  const channel = optionalText(row, 'channel');
  if (channel !== undefined) {
    if (!(CHANNELS as readonly string[]).includes(channel)) throw new Error(`unknown channel in Cassandra: ${channel}`);
    message.channel = channel as Channel;
  }
  const clientMessageId = optionalText(row, 'client_message_id');
  if (clientMessageId !== undefined) message.clientMessageId = clientMessageId;
  if (derived.failureReason !== undefined) message.failureReason = derived.failureReason;
  return message;
}
