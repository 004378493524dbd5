import type Database from 'better-sqlite3';
import { InvalidMessageIdError, isMessageId, messageIdTime } from './ids';
import { openEmbeddedDb, type EmbeddedConfig } from './embedded-db';
import { decodeCursor, encodeCursor, pageSize } from './pagination';
import type { MessageStore } from './port';
import { canAdvance, deriveStatus, transitionTime, type StoredStatus } from './status';
import { CHANNELS, MESSAGE_STATUSES } from './types';
import type { Channel, ListOptions, Message, MessagePage, MessageStatus, NewMessage } from './types';

interface MessageRow {
  id: string;
  conversation_id: string;
  sender_id: string;
  content: string | null;
  file_id: string | null;
  channel: string | null;
  client_message_id: string | null;
  created_at: number;
}

interface StatusRow {
  message_id: string;
  status: string;
  at: number;
  reason: string | null;
}

const COLUMNS = 'id, conversation_id, sender_id, content, file_id, channel, client_message_id, created_at';

/**
 * MessageStore on one SQLite file in a data folder (schema from `migrateEmbedded`). Same rules as the Cassandra
 * adapter: idempotent inserts, a channel set but never cleared, statuses replayed through `deriveStatus`.
 */
export class EmbeddedMessageStore implements MessageStore {
  private readonly sql;

  private constructor(private readonly db: Database.Database) {
    this.sql = {
      // A redelivered copy leaves everything as it was, except that a channel it carries is recorded.
      insert: db.prepare(`INSERT INTO messages (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (id) DO UPDATE SET channel = COALESCE(excluded.channel, messages.channel)`),
      insertByClientId: db.prepare('INSERT OR IGNORE INTO messages_by_client_id (sender_id, client_message_id, message_id) VALUES (?, ?, ?)'),
      select: db.prepare(`SELECT ${COLUMNS} FROM messages WHERE id = ?`),
      selectStatuses: db.prepare('SELECT message_id, status, at, reason FROM message_status WHERE message_id = ?'),
      insertStatus: db.prepare('INSERT OR REPLACE INTO message_status (message_id, status, at, reason) VALUES (?, ?, ?, ?)'),
      selectByClientId: db.prepare('SELECT message_id FROM messages_by_client_id WHERE sender_id = ? AND client_message_id = ?'),
      selectPage: db.prepare(`SELECT ${COLUMNS} FROM messages WHERE conversation_id = ? ORDER BY id DESC LIMIT ?`),
      selectPageBefore: db.prepare(`SELECT ${COLUMNS} FROM messages WHERE conversation_id = ? AND id < ? ORDER BY id DESC LIMIT ?`),
    };
  }

  /** Opens the data folder's database, which `migrateEmbedded` must have prepared. */
  static async open(config: EmbeddedConfig): Promise<EmbeddedMessageStore> {
    return new EmbeddedMessageStore(openEmbeddedDb(config));
  }

  async insert(message: NewMessage): Promise<void> {
    if (!isMessageId(message.id)) throw new InvalidMessageIdError(message.id);
    this.db.transaction(() => {
      this.sql.insert.run(
        message.id,
        message.conversationId,
        message.senderId,
        message.content ?? null,
        message.fileId ?? null,
        message.channel ?? null,
        message.clientMessageId ?? null,
        message.createdAt.getTime(),
      );
      if (message.clientMessageId !== undefined) this.sql.insertByClientId.run(message.senderId, message.clientMessageId, message.id);
    })();
  }

  async get(id: string, conversationId?: string): Promise<Message | null> {
    if (!isMessageId(id)) return null;
    const row = this.sql.select.get(id) as MessageRow | undefined;
    // One table keyed by id here: the conversation only has to match, as where Cassandra looks the message up by it.
    if (!row || (conversationId !== undefined && row.conversation_id !== conversationId)) return null;
    return this.toMessage(row);
  }

  async getMany(ids: readonly string[]): Promise<(Message | null)[]> {
    return Promise.all(ids.map((id) => this.get(id)));
  }

  async listByConversation(conversationId: string, options: ListOptions = {}): Promise<MessagePage> {
    const first = pageSize(options.first);
    const afterId = options.after ? decodeCursor(options.after) : undefined;
    const want = first + 1; // one more than the page tells whether a next page exists
    const rows = (
      afterId === undefined ? this.sql.selectPage.all(conversationId, want) : this.sql.selectPageBefore.all(conversationId, afterId, want)
    ) as MessageRow[];
    const pageRows = rows.slice(0, first);
    const last = pageRows[pageRows.length - 1];
    return {
      items: pageRows.map((row) => this.toMessage(row)),
      endCursor: last ? encodeCursor(last.id) : null,
      hasNextPage: rows.length > first,
    };
  }

  async recordStatus(id: string, _conversationId: string, status: MessageStatus, at: Date, reason?: string): Promise<boolean> {
    if (!isMessageId(id)) throw new InvalidMessageIdError(id);
    // Read and write in one immediate transaction: unlike Cassandra, two racing writers cannot both pass canAdvance.
    return this.db
      .transaction(() => {
        const transitions = this.statuses(id);
        if (!canAdvance(deriveStatus(new Date(0), transitions).status, status)) return false;
        const recordedAt = transitionTime(messageIdTime(id), transitions, at);
        // Like Cassandra, a status may arrive before its message and is kept until the message is stored.
        this.sql.insertStatus.run(id, status, recordedAt.getTime(), status === 'FAILED' ? (reason ?? null) : null);
        return true;
      })
      .immediate();
  }

  async findByClientMessageId(senderId: string, clientMessageId: string): Promise<Message | null> {
    const pointer = this.sql.selectByClientId.get(senderId, clientMessageId) as { message_id: string } | undefined;
    return pointer ? this.get(pointer.message_id) : null;
  }

  async close(): Promise<void> {
    this.db.close();
  }

  private statuses(id: string): StoredStatus[] {
    return (this.sql.selectStatuses.all(id) as StatusRow[]).map(toStoredStatus);
  }

  private toMessage(row: MessageRow): Message {
    const createdAt = new Date(row.created_at);
    const derived = deriveStatus(createdAt, this.statuses(row.id));
    const message: Message = {
      id: row.id,
      conversationId: row.conversation_id,
      senderId: row.sender_id,
      createdAt,
      status: derived.status,
      statusHistory: derived.statusHistory,
    };
    if (row.content !== null) message.content = row.content;
    if (row.file_id !== null) message.fileId = row.file_id;
    if (row.channel !== null) {
      if (!(CHANNELS as readonly string[]).includes(row.channel)) throw new Error(`unknown channel in SQLite: ${row.channel}`);
      message.channel = row.channel as Channel;
    }
    if (row.client_message_id !== null) message.clientMessageId = row.client_message_id;
    if (derived.failureReason !== undefined) message.failureReason = derived.failureReason;
    return message;
  }
}

function toStoredStatus(row: StatusRow): StoredStatus {
  if (!(MESSAGE_STATUSES as readonly string[]).includes(row.status)) throw new Error(`unknown message status in SQLite: ${row.status}`);
  const stored: StoredStatus = { status: row.status as MessageStatus, at: new Date(row.at) };
  if (row.reason !== null) stored.reason = row.reason;
  return stored;
}
