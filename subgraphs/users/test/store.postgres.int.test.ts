import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { z } from 'zod';
import { MikroORM } from '@mikro-orm/postgresql';
import { createLogger, env, loadConfig, postgresEnv } from '@chat4all/common';
import type { PostgresConfig } from '@chat4all/common';
import { createPostgresUserRepository, migrateDatabase, postgresOrmOptions, verifyDatabase } from '../src';
import { describeUserRepositoryContract } from '../src/store/contract';

// The tests get databases of their own on the configured server, created through an admin connection.
const settings = loadConfig(
  z.object({ ...postgresEnv, POSTGRES_ADMIN_URL: env.url('postgresql://postgres@127.0.0.1:5432/postgres') }),
);
const log = createLogger('users-test', 'silent');

function databaseUrl(database: string): string {
  const url = new URL(settings.DATABASE_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

async function withAdmin<T>(work: (admin: Client) => Promise<T>): Promise<T> {
  const admin = new Client({ connectionString: settings.POSTGRES_ADMIN_URL });
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(`PostgreSQL is not reachable at ${settings.POSTGRES_ADMIN_URL} (is it running? see \`npm run infra:status\`): ${String(error)}`);
  }
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

/** Creates the database, owned by the application's role, unless it exists. */
async function ensureDatabase(database: string): Promise<PostgresConfig> {
  const owner = decodeURIComponent(new URL(settings.DATABASE_URL).username);
  await withAdmin(async (admin) => {
    const exists = await admin.query('select 1 from pg_database where datname = $1', [database]);
    if (exists.rowCount === 0) await admin.query(`create database "${database}" owner "${owner}"`);
  });
  return { DATABASE_URL: databaseUrl(database) };
}

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

async function withAdminOn<T>(database: string, work: (db: Client) => Promise<T>): Promise<T> {
  const url = new URL(settings.POSTGRES_ADMIN_URL);
  url.pathname = `/${database}`;
  const db = new Client({ connectionString: url.toString() });
  await db.connect();
  try {
    return await work(db);
  } finally {
    await db.end();
  }
}
