import { embeddedDataDir, embeddedProfile, requireSchema, type PostgresConfig, type ServiceConfig } from '@chat4all/common';
import { createPostgresUserRepository, type OrmHooks } from './mikro-orm';
import { verifyDatabase } from './migrate';
import { openPgliteUserRepository } from './pglite';
import type { UserRepository } from './port';

/** A repository the factory opened, with its readiness check. */
export interface OpenedUserStore {
  repository: UserRepository;
  /** Names what is wrong with the database behind it; empty when it answers. */
  checkConnection(): Promise<string[]>;
}

export type UserStoreConfig = PostgresConfig & Pick<ServiceConfig, 'CHAT4ALL_PROFILE' | 'CHAT4ALL_DATA_DIR'>;

/**
 * The one factory of the user repository port: PostgreSQL/CockroachDB through MikroORM (refused when not migrated), or
 * in the embedded profile the same entities and migrations on PGlite in `<CHAT4ALL_DATA_DIR>/users`.
 */
export async function openUserStore(config: UserStoreConfig, hooks: OrmHooks = {}): Promise<OpenedUserStore> {
  // PGlite migrates on open; PostgreSQL is migrated by `npm run migrate` and only verified here.
  const repository = embeddedProfile(config)
    ? await openPgliteUserRepository(embeddedDataDir(config, 'users'), hooks)
    : await requireSchema('database', () => verifyDatabase(config)).then(() => createPostgresUserRepository(config, hooks));
  return { repository, checkConnection: () => repository.checkConnection() };
}
