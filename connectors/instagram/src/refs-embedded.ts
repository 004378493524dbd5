import type { Channel, MessageRef, PlatformMessageRefs } from '@chat4all/common';
import { openEmbeddedDb, type EmbeddedConfig } from '@chat4all/messages';

/**
 * Platform message id → our message in the embedded messages database (table `platform_message_refs`, migration 4 of
 * `migrateEmbedded`, the twin of CQL 004). Rows do not expire (Cassandra's do after 30 days).
 */
export class EmbeddedPlatformMessageRefs implements PlatformMessageRefs {
  private readonly sql;

  private constructor(private readonly db: ReturnType<typeof openEmbeddedDb>) {
    this.sql = {
      save: db.prepare('INSERT OR REPLACE INTO platform_message_refs (channel, platform_message_id, message_id, conversation_id) VALUES (?, ?, ?, ?)'),
      find: db.prepare('SELECT message_id, conversation_id FROM platform_message_refs WHERE channel = ? AND platform_message_id = ?'),
    };
  }

  /** Opens the data folder's database, which `migrateEmbedded` must have prepared. */
  static async open(config: EmbeddedConfig): Promise<EmbeddedPlatformMessageRefs> {
    return new EmbeddedPlatformMessageRefs(openEmbeddedDb(config));
  }

  async save(channel: Channel, platformMessageId: string, ref: MessageRef): Promise<void> {
    this.sql.save.run(channel, platformMessageId, ref.messageId, ref.conversationId);
  }

  async find(channel: Channel, platformMessageId: string): Promise<MessageRef | null> {
    const row = this.sql.find.get(channel, platformMessageId) as { message_id: string; conversation_id: string } | undefined;
    return row ? { messageId: row.message_id, conversationId: row.conversation_id } : null;
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
