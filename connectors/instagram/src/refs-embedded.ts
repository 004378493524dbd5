import type { Channel, MessageRef, PlatformMessageRefs } from '@chat4all/common';
import { ExpirySweeper, PLATFORM_REF_TTL_MS, openEmbeddedDb, systemClock, type Clock, type EmbeddedConfig, type ExpiryOptions } from '@chat4all/messages';

/**
 * Platform message id → our message in the embedded messages database (table `platform_message_refs`, migrations 4
 * and 5 of `migrateEmbedded`, the twin of CQL 004). A row expires `PLATFORM_REF_TTL_MS` after its last save, as
 * Cassandra's does: from then on it reads as absent and the sweeper deletes it.
 */
export class EmbeddedPlatformMessageRefs implements PlatformMessageRefs {
  private readonly sql;
  private readonly sweeper: ExpirySweeper;

  private constructor(
    private readonly db: ReturnType<typeof openEmbeddedDb>,
    private readonly now: Clock,
    sweepIntervalMs: number | undefined,
  ) {
    this.sql = {
      // A save rewrites the whole row, so its expiry restarts, as a Cassandra INSERT's TTL does.
      save: db.prepare(`INSERT OR REPLACE INTO platform_message_refs (channel, platform_message_id, message_id, conversation_id, expires_at)
        VALUES (?, ?, ?, ?, ?)`),
      find: db.prepare('SELECT message_id, conversation_id FROM platform_message_refs WHERE channel = ? AND platform_message_id = ? AND expires_at > ?'),
    };
    this.sweeper = new ExpirySweeper(db, 'platform_message_refs', ['channel', 'platform_message_id'], now, sweepIntervalMs);
    this.sweeper.start();
  }

  /** Opens the data folder's database, which `migrateEmbedded` must have prepared, and starts sweeping expired refs. */
  static async open(config: EmbeddedConfig, options: ExpiryOptions = {}): Promise<EmbeddedPlatformMessageRefs> {
    return new EmbeddedPlatformMessageRefs(openEmbeddedDb(config), options.now ?? systemClock, options.sweepIntervalMs);
  }

  async save(channel: Channel, platformMessageId: string, ref: MessageRef): Promise<void> {
    this.sql.save.run(channel, platformMessageId, ref.messageId, ref.conversationId, this.now() + PLATFORM_REF_TTL_MS);
  }

  async find(channel: Channel, platformMessageId: string): Promise<MessageRef | null> {
    const row = this.sql.find.get(channel, platformMessageId, this.now()) as { message_id: string; conversation_id: string } | undefined;
    return row ? { messageId: row.message_id, conversationId: row.conversation_id } : null;
  }

  /** Deletes the expired refs now (the sweeper does so on its own schedule); answers how many. */
  sweepExpired(): number {
    return this.sweeper.sweep();
  }

  async close(): Promise<void> {
    this.sweeper.stop();
    this.db.close();
  }
}
