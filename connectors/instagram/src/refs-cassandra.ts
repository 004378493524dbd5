import { Client, types } from 'cassandra-driver';
import { StartupError, type CassandraConfig, type Channel, type MessageRef, type PlatformMessageRefs } from '@chat4all/common';

/** The table migration `004_platform_message_refs.cql` of the messages keyspace creates. */
export const REFS_TABLE = 'platform_message_refs';

function newClient(config: CassandraConfig): Client {
  return new Client({
    contactPoints: config.CASSANDRA_CONTACT_POINTS,
    localDataCenter: config.CASSANDRA_LOCAL_DC,
    keyspace: config.CASSANDRA_KEYSPACE,
    // A webhook may be handled on another connector instance than the send: reads must see the write.
    queryOptions: { consistency: types.consistencies.localQuorum, prepare: true, isIdempotent: true },
  });
}

/** Platform message id → our message, in Cassandra (one partition per platform message; rows expire after 30 days). */
export class CassandraPlatformMessageRefs implements PlatformMessageRefs {
  private constructor(private readonly client: Client) {}

  /** Connects and checks the table exists (refuses to start on an unmigrated keyspace). */
  static async connect(config: CassandraConfig): Promise<CassandraPlatformMessageRefs> {
    const client = newClient(config);
    try {
      await client.connect();
      const table = await client.execute('SELECT table_name FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?', [
        config.CASSANDRA_KEYSPACE,
        REFS_TABLE,
      ]);
      if (table.rowLength === 0) {
        throw new StartupError(`cassandra is not migrated: missing table ${config.CASSANDRA_KEYSPACE}.${REFS_TABLE} (run \`npm run migrate\`)`);
      }
    } catch (error) {
      await client.shutdown().catch(() => undefined);
      throw error;
    }
    return new CassandraPlatformMessageRefs(client);
  }

  async save(channel: Channel, platformMessageId: string, ref: MessageRef): Promise<void> {
    await this.client.execute(`INSERT INTO ${REFS_TABLE} (channel, platform_message_id, message_id, conversation_id) VALUES (?, ?, ?, ?)`, [
      channel,
      platformMessageId,
      ref.messageId,
      ref.conversationId,
    ]);
  }

  async find(channel: Channel, platformMessageId: string): Promise<MessageRef | null> {
    const result = await this.client.execute(`SELECT message_id, conversation_id FROM ${REFS_TABLE} WHERE channel = ? AND platform_message_id = ?`, [
      channel,
      platformMessageId,
    ]);
    const row = result.first();
    return row ? { messageId: row.get('message_id') as string, conversationId: row.get('conversation_id') as string } : null;
  }

  /** For readiness: empty when Cassandra answers. */
  async ping(): Promise<string[]> {
    await this.client.execute('SELECT release_version FROM system.local');
    return [];
  }

  async close(): Promise<void> {
    await this.client.shutdown();
  }
}
