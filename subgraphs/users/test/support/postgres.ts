import { Client } from 'pg';
import { z } from 'zod';
import { env, loadConfig, postgresEnv } from '@chat4all/common';
import type { PostgresConfig } from '@chat4all/common';

// The tests get databases of their own on the configured server, created through an admin connection.
export const settings = loadConfig(
  z.object({ ...postgresEnv, POSTGRES_ADMIN_URL: env.url('postgresql://postgres@127.0.0.1:5432/postgres') }),
);

function databaseUrl(base: string, database: string): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function withAdmin<T>(work: (admin: Client) => Promise<T>): Promise<T> {
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
export async function ensureDatabase(database: string): Promise<PostgresConfig> {
  const owner = decodeURIComponent(new URL(settings.DATABASE_URL).username);
  await withAdmin(async (admin) => {
    const exists = await admin.query('select 1 from pg_database where datname = $1', [database]);
    if (exists.rowCount === 0) await admin.query(`create database "${database}" owner "${owner}"`);
  });
  return { DATABASE_URL: databaseUrl(settings.DATABASE_URL, database) };
}

/** A connection to `database` as the admin role. */
export async function withAdminOn<T>(database: string, work: (db: Client) => Promise<T>): Promise<T> {
  const db = new Client({ connectionString: databaseUrl(settings.POSTGRES_ADMIN_URL, database) });
  await db.connect();
  try {
    return await work(db);
  } finally {
    await db.end();
  }
}
