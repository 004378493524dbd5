import { z } from 'zod';
import { cassandraEnv, createLogger, kafkaEnv, loadConfig, migrateKafka, postgresEnv, s3Env, type Logger } from '@chat4all/common';
import { migrateS3 } from '@chat4all/files';
import { migrateCassandra } from '@chat4all/messages';
import { migrateDatabase } from '@chat4all/users';

/**
 * `npm run migrate`: creates whatever is missing in every engine (topics, keyspace and tables,
 * bucket, database schema) through each area's own idempotent `migrateX`. The areas are
 * independent, so they run side by side; any failure makes the exit code 1.
 */
const steps: { area: string; run: (log: Logger) => Promise<void> }[] = [
  { area: 'kafka', run: (log) => migrateKafka(loadConfig(z.object(kafkaEnv)), log) },
  { area: 'cassandra', run: (log) => migrateCassandra(loadConfig(z.object(cassandraEnv)), log) },
  { area: 's3', run: (log) => migrateS3(loadConfig(z.object(s3Env)), log) },
  { area: 'database', run: (log) => migrateDatabase(loadConfig(z.object(postgresEnv)), log) },
];

async function main(): Promise<number> {
  const log = createLogger('migrate');
  const t0 = Date.now();
  const results = await Promise.allSettled(
    steps.map(async ({ area, run }) => {
      const started = Date.now();
      await run(log.child({ area }));
      log.info({ area, ms: Date.now() - started }, 'migrated');
    }),
  );
  const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [{ area: steps[i]?.area, reason: r.reason as unknown }] : []));
  for (const { area, reason } of failed) log.error({ area, err: reason }, 'migration failed');
  log.info({ ms: Date.now() - t0, failed: failed.map((f) => f.area) }, failed.length === 0 ? 'all migrations done' : 'migrations failed');
  return failed.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
