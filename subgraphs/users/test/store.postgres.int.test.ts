import { randomUUID } from 'node:crypto';
import { MikroORM } from '@mikro-orm/postgresql';
import { createLogger } from '@chat4all/common';
import type { PostgresConfig } from '@chat4all/common';
import { createPostgresUserRepository, migrateDatabase, postgresOrmOptions, verifyDatabase } from '../src';
import { describeUserRepositoryContract } from '../src/store/contract';
import { ensureDatabase, withAdmin, withAdminOn } from './support/postgres';

const log = createLogger('users-test', 'silent');

describeUserRepositoryContract('PostgreSQL (MikroORM)', async () => {
  const config = await ensureDatabase('chat4all_test');
  await migrateDatabase(config, log);
  let statements = 0;
  const repository = await createPostgresUserRepository(config, { onQuery: () => statements++ });
  return { repository, statementCount: () => statements };
});

describe('PostgreSQL migrations', () => {
  const database = `chat4all_migrate_${randomUUID().slice(0, 8)}`;
  let config: PostgresConfig;

  beforeAll(async () => {
    config = await ensureDatabase(database);
  });
  afterAll(async () => {
    await withAdmin((admin) => admin.query(`drop database if exists "${database}" with (force)`));
  });

  it('lists pending migrations without touching the database, then applies them once', async () => {
    expect(await verifyDatabase(config)).toEqual(['Migration20261126000000Initial']);
    const tables = await withAdminOn(database, (db) =>
      db.query("select table_name from information_schema.tables where table_schema = 'public'"),
    );
    expect(tables.rows).toEqual([]);

    await migrateDatabase(config, log);
    expect(await verifyDatabase(config)).toEqual([]);
    await migrateDatabase(config, log);
    expect(await verifyDatabase(config)).toEqual([]);
  }, 30_000);

  it('leaves a schema that matches the entity definitions exactly', async () => {
    await migrateDatabase(config, log);
    const orm = await MikroORM.init(postgresOrmOptions(config));
    try {
      expect(await orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false })).toBe('');
    } finally {
      await orm.close();
    }
  }, 30_000);
});
