import { KeptRecords } from '@chat4all/common';
import type { User, UserRepository } from './port';

export type UserLookup = Pick<UserRepository, 'findUsersByIds'>;

/**
 * Users never change once registered (no mutation renames or deletes one), so a user found by id is kept: the senders
 * of a history page, asked for by the gateway on every page, then cost no database statement once seen. Bounded by
 * count, least recently used out; an unknown id is not kept (its user may be registering).
 */
export function cachedUsers(inner: UserLookup, maxEntries: number): UserLookup {
  const kept = new KeptRecords<User>(maxEntries);
  return {
    // Ids are UUIDs, matched whatever their case, as the repository matches them.
    findUsersByIds: (ids) =>
      kept.getMany(
        ids.map((id) => id.toLowerCase()),
        (missing) => inner.findUsersByIds(missing),
      ),
  };
}
