import { z } from 'zod';
import { cassandraEnv, createLogger, loadConfig, type CassandraConfig } from '@chat4all/common';
import { CassandraMessageStore, migrateCassandra } from '../src';
import { describeMessageStoreContract } from '../src/store/contract';

jest.setTimeout(120_000);

// The real engine from `npm run infra:up`; a test keyspace keeps the application's own data apart.
const config: CassandraConfig = { ...loadConfig(z.object(cassandraEnv)), CASSANDRA_KEYSPACE: 'chat4all_test' };

beforeAll(async () => {
  await migrateCassandra(config, createLogger('messages-store-test', 'silent'));
});

describeMessageStoreContract('Cassandra', () => CassandraMessageStore.connect(config));
