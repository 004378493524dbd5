import { ConfigError, createLogger, migrateKafka, type Logger } from '@chat4all/common';
import { migrateS3 } from '@chat4all/files';
import { migrateCassandra } from '@chat4all/messages';
import { migrateDatabase } from '@chat4all/users';
import { loadMigrateConfig, type MigrateConfig } from './migrate-config';

/**
 * `npm run migrate`: creates whatever is missing in every engine (topics, keyspace and tables,
 * bucket, database schema) through each area's own idempotent `migrateX`. The areas are
 * independent, so they run side by side; any failure makes the exit code 1.
 */
const steps: { area: string; run: (config: MigrateConfig, log: Logger) => Promise<void> }[] = [
  { area: 'kafka', run: migrateKafka },
  { area: 'cassandra', run: migrateCassandra },
  { area: 's3', run: migrateS3 },
  { area: 'database', run: migrateDatabase },
];

async function main(): Promise<number> {
  let config: MigrateConfig;
  try {
    config = loadMigrateConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 1;
  }
  const log = createLogger('migrate');
  const t0 = Date.now();
  const results = await Promise.allSettled(
    steps.map(async ({ area, run }) => {
      const started = Date.now();
      await run(config, log.child({ area }));
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
