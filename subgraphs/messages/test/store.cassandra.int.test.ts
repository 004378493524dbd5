import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { cassandraEnv, createLogger, loadConfig, type CassandraConfig } from '@chat4all/common';
import { CassandraMessageStore, migrateCassandra, newMessageId } from '../src';
import { connectCassandra } from '../src/store/client';
import { describeMessageStoreContract } from '../src/store/contract';

jest.setTimeout(120_000);

// The real engine from `npm run infra:up`; a test keyspace keeps the application's own data apart.
const config: CassandraConfig = { ...loadConfig(z.object(cassandraEnv)), CASSANDRA_KEYSPACE: 'chat4all_test' };

beforeAll(async () => {
  await migrateCassandra(config, createLogger('messages-store-test', 'silent'));
});

describeMessageStoreContract('Cassandra', () => CassandraMessageStore.connect(config));

describe('CassandraMessageStore, lookups by id alone', () => {
  // The id → conversation pointer row is taken away behind the stores' backs: only a store that remembers which
  // conversation a message belongs to still finds it, so these show which lookups read the pointer.
  const stores: CassandraMessageStore[] = [];
  const open = async () => {
    const store = await CassandraMessageStore.connect(config);
    stores.push(store);
    return store;
  };
  const dropPointer = async (id: string) => {
    const client = await connectCassandra(config, { keyspace: config.CASSANDRA_KEYSPACE });
    try {
      await client.execute('DELETE FROM messages_by_id WHERE id = ?', [id]);
    } finally {
      await client.shutdown();
    }
  };
  const message = () => ({ id: newMessageId(), conversationId: randomUUID(), senderId: randomUUID(), createdAt: new Date(), content: 'hi' });

  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
  });

  it('remembers the conversation of a message it stored, and of one it found by id', async () => {
    const writer = await open();
    const reader = await open();
    const m = message();
    await writer.insert(m);
    expect((await reader.get(m.id))?.content).toBe('hi'); // read through the pointer, then remembered

    await dropPointer(m.id);
    expect((await writer.get(m.id))?.conversationId).toBe(m.conversationId);
    expect((await reader.getMany([m.id]))[0]?.conversationId).toBe(m.conversationId);
    expect(await (await open()).get(m.id)).toBeNull(); // a store that never saw it needs the pointer
  });

  it('finds a message by its client message id without the id pointer', async () => {
    const m = { ...message(), clientMessageId: randomUUID() };
    await (await open()).insert(m);
    await dropPointer(m.id);
    expect((await (await open()).findByClientMessageId(m.senderId, m.clientMessageId))?.id).toBe(m.id);
  });
});
