import type { UserResolvers } from '../generated/resolvers-types';
import { requireIdentity } from './access';

export function userResolvers(): UserResolvers {
  return {
    /**
     * Every User the gateway needs for one response (e.g. the senders of a page of messages) arrives in one
     * `_entities` call; the per-request loader turns them into one repository lookup. Null for an unknown id.
     */
    __resolveReference: ({ id }, { identity, loaders }) => {
      requireIdentity(identity);
      return loaders.user.load(id);
    },
  };
}
