import { z } from 'zod';
import { cassandraEnv, createLogger, kafkaEnv, loadConfig, migrateKafka, s3Env, type Env } from '@chat4all/common';
import { migrateS3 } from '../../../subgraphs/files/src/store/migrate';
import { migrateCassandra } from '../../../subgraphs/messages/src/store/migrate';
import { migrateDatabase } from '../../../subgraphs/users/src/store/migrate';
import { ensureDatabase } from '../../../subgraphs/users/test/support/postgres';

/** Where the end-to-end stack keeps its data: its own keyspace, database and bucket on the engines `npm run infra:up` runs. */
export const E2E_KEYSPACE = 'chat4all_e2e';
export const E2E_DATABASE = 'chat4all_e2e';
export const E2E_BUCKET = 'chat4all-e2e';

/**
 * Migrates the e2e keyspace, database, bucket and the platform topics (each area's idempotent migrateX, what
 * `npm run migrate` runs), because the services refuse to start on unmigrated engines. Returns the engine settings
 * the services need; an engine that is down fails here, naming it.
 */
export async function prepareEngines(): Promise<Env> {
  const log = createLogger('e2e-migrate', process.env.TEST_LOG_LEVEL ?? 'silent');
  const step = async <T>(area: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw new Error(`e2e: cannot migrate ${area} (are the engines up? \`npm run infra:status\`): ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const cassandra = { ...loadConfig(z.object(cassandraEnv)), CASSANDRA_KEYSPACE: E2E_KEYSPACE };
  const s3 = { ...loadConfig(z.object(s3Env)), S3_BUCKET: E2E_BUCKET };
  const [database] = await Promise.all([
    step('PostgreSQL', async () => {
      const config = await ensureDatabase(E2E_DATABASE);
      await migrateDatabase(config, log);
      return config;
    }),
    step('Cassandra', () => migrateCassandra(cassandra, log)),
    step('S3', () => migrateS3(s3, log)),
    step('Kafka', () => migrateKafka(loadConfig(z.object(kafkaEnv)), log)),
  ]);
  return { DATABASE_URL: database.DATABASE_URL, CASSANDRA_KEYSPACE: E2E_KEYSPACE, S3_BUCKET: E2E_BUCKET };
}
