import { Migrator } from '@mikro-orm/migrations';
import { MikroORM } from '@mikro-orm/postgresql';
import type { Logger, PostgresConfig } from '@chat4all/common';
import { postgresOrmOptions } from './mikro-orm';
import { userStoreMigrations } from './migrations';

async function openWithMigrator(config: PostgresConfig, log?: Logger): Promise<MikroORM> {
  return MikroORM.init({ ...postgresOrmOptions(config, log ? { log } : {}), extensions: [Migrator] });
}

/** Applies every pending migration (each in its own transaction); running it again does nothing. */
export async function migrateDatabase(config: PostgresConfig, log: Logger): Promise<void> {
  const orm = await openWithMigrator(config, log);
  try {
    const applied = await orm.getMigrator().up();
    if (applied.length === 0) log.info('database schema is up to date');
    for (const migration of applied) log.info({ migration: migration.name }, 'migration applied');
  } finally {
    await orm.close();
  }
}

/** Names of the migrations not applied yet; an empty list means the schema is ready. Changes nothing. */
export async function verifyDatabase(config: PostgresConfig): Promise<string[]> {
  const orm = await openWithMigrator(config);
  try {
    // The migrator creates its bookkeeping table when asked for pending migrations, so look for the
    // table first: without it, everything is pending and the database stays untouched.
    const tables: unknown[] = await orm.em
      .getConnection()
      .execute(
        `select 1 from information_schema.tables where table_schema = current_schema() and table_name = 'mikro_orm_migrations'`,
      );
    if (tables.length === 0) return userStoreMigrations.map((migration) => migration.name);
    const pending = await orm.getMigrator().getPendingMigrations();
    return pending.map((migration) => migration.name);
  } finally {
    await orm.close();
  }
}
