import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261126000000Initial } from './Migration20261126000000Initial';

/**
 * Every migration, oldest first. Listed explicitly rather than found by a glob, so tsx, jest and a
 * bundled build all run the same classes without loading files by path.
 */
export const userStoreMigrations: MigrationObject[] = [
  { name: 'Migration20261126000000Initial', class: Migration20261126000000Initial },
];
