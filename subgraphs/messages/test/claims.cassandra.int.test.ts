import { z } from 'zod';
import { cassandraEnv, createLogger, loadConfig, type CassandraConfig } from '@chat4all/common';
import { migrateCassandra } from '../src';
import { CassandraSendClaimStore } from '../src/claims/cassandra';
import { describeSendClaimStoreContract } from '../src/claims/contract';

jest.setTimeout(120_000);

// The real engine from `npm run infra:up`; a test keyspace keeps the application's own data apart.
const config: CassandraConfig = { ...loadConfig(z.object(cassandraEnv)), CASSANDRA_KEYSPACE: 'chat4all_test' };

beforeAll(async () => {
  await migrateCassandra(config, createLogger('messages-claims-test', 'silent'));
});

describeSendClaimStoreContract('Cassandra', () => CassandraSendClaimStore.connect(config));
