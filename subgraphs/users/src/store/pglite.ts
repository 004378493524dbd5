import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { MikroORM } from '@mikro-orm/core';
import type { Options } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { PGliteDriver, type PGliteConnectionConfig } from 'mikro-orm-pglite';
import { lockDataDir } from '@chat4all/common';
import { MikroOrmUserRepository, userStoreOrmOptions, type OrmHooks } from './mikro-orm';

/**
 * The users store embedded: PostgreSQL compiled to WebAssembly (PGlite) in a data folder, behind the same MikroORM
 * repository, entities and migrations as the PostgreSQL/CockroachDB adapter. No server, no manual migration step.
 *
 * Layout: `<dataDir>/pgdata/` (PGlite's database cluster), `<dataDir>/users.lock` (the owner's pid). PGlite does not
 * refuse a second opener of a cluster, and two would corrupt it, so the folder is locked to one process and opened
 * once in it (`DataDirLockedError` otherwise).
 */
export const PGLITE_DATA_SUBDIR = 'pgdata';
const LOCK_FILE = 'users.lock';

export function pgliteOrmOptions(pglite: PGlite, hooks: OrmHooks = {}): Options<PGliteDriver> {
  return {
    ...userStoreOrmOptions(hooks),
    driver: PGliteDriver,
    // The database inside the cluster: PGlite has the one, "postgres".
    dbName: 'postgres',
    // One WebAssembly instance is one connection: statements and transactions take turns on it.
    pool: { min: 1, max: 1 },
    // Borrowed: MikroORM does not close it; closing the repository does, after the ORM.
    driverOptions: { connection: { pglite: () => pglite } satisfies PGliteConnectionConfig },
    extensions: [Migrator],
  };
}

/**
 * Opens the PGlite database in `dataDir` (created when missing), applies every pending migration (the same classes
 * `npm run migrate` applies to PostgreSQL), and returns the repository; its `close` closes the database and releases
 * the folder.
 */
export async function openPgliteUserRepository(dataDir: string, hooks: OrmHooks = {}): Promise<MikroOrmUserRepository> {
  const lock = lockDataDir(dataDir, LOCK_FILE, 'users data folder');
  let pglite: PGlite | undefined;
  let orm: MikroORM<PGliteDriver> | undefined;
  try {
    pglite = await PGlite.create(path.join(dataDir, PGLITE_DATA_SUBDIR));
    orm = await MikroORM.init(pgliteOrmOptions(pglite, hooks));
    const applied = await orm.getMigrator().up();
    for (const migration of applied) hooks.log?.info({ migration: migration.name }, 'users store: migration applied');
  } catch (error) {
    await orm?.close();
    await pglite?.close();
    lock.release();
    throw error;
  }
  const database = pglite;
  return new MikroOrmUserRepository(orm, async () => {
    await database.close();
    lock.release();
  });
}
