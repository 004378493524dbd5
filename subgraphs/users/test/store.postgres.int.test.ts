import { randomUUID } from 'node:crypto';
import { MikroORM } from '@mikro-orm/postgresql';
import { createLogger } from '@chat4all/common';
import type { PostgresConfig } from '@chat4all/common';
import { createPostgresUserRepository, migrateDatabase, openUserStore, postgresOrmOptions, verifyDatabase } from '../src';
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

  it('is what openUserStore opens outside the embedded profile, refused until migrated', async () => {
    const unmigrated = await ensureDatabase(`chat4all_open_${randomUUID().slice(0, 8)}`);
    try {
      const local = { ...unmigrated, CHAT4ALL_PROFILE: 'local' as const, CHAT4ALL_DATA_DIR: '/nonexistent' };
      await expect(openUserStore(local)).rejects.toThrow(/database is not migrated: missing Migration20261126000000Initial \(run `npm run migrate`\)/);
      await migrateDatabase(unmigrated, log);
      const store = await openUserStore(local);
      try {
        expect(await store.checkConnection()).toEqual([]);
        expect(await store.repository.findUserByUsername(`nobody_${randomUUID()}`)).toBeNull();
      } finally {
        await store.repository.close();
      }
    } finally {
      await withAdmin((admin) => admin.query(`drop database if exists "${new URL(unmigrated.DATABASE_URL).pathname.slice(1)}" with (force)`));
    }
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
