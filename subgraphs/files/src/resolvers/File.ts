import { forbidden, isUuidV7, unauthenticated } from '@chat4all/common';
import type { FileResolvers } from '../generated/resolvers-types';
import { contentKey } from '../store/keys';
import type { ResolverDeps } from './deps';

export function fileResolvers({ urls, options }: ResolverDeps): FileResolvers {
  return {
    /**
     * Other subgraphs' File stubs (message attachments). Any signed caller may resolve them: whoever reads the message
     * that carries a file may see it, and the messages subgraph checked that. One batch per request via the loader.
     */
    __resolveReference: async ({ id }, { identity, loaders }) => {
      if (!identity) throw unauthenticated();
      // Not one of our ids: no such file, and no store read for it.
      if (!isUuidV7(id)) return null;
      return loaders.file.load(id);
    },
    url: (file) => urls.presignGet(contentKey(file.id), options.urlTtlSeconds),
    /** For services only (the messages subgraph checks attachment ownership with it); users never see it. */
    ownerId: (file, _args, { identity }) => {
      if (identity?.kind !== 'service') throw forbidden('ownerId is available to services only');
      return file.ownerId;
    },
  };
}
