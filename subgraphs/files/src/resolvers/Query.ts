import { isUuidV7, notFound, requireUser } from '@chat4all/common';
import type { QueryResolvers } from '../generated/resolvers-types';

export function queryResolvers(): QueryResolvers {
  return {
    /**
     * The caller's own files only. A file that does not exist and one somebody else uploaded answer alike, so nobody
     * learns whether an id exists.
     */
    file: async (_parent, { id }, { identity, loaders }) => {
      const user = requireUser(identity);
      const file = isUuidV7(id) ? await loaders.file.load(id) : null;
      if (!file || file.ownerId !== user.userId) throw notFound('file not found');
      return file;
    },
  };
}
