import { requireUser } from '@chat4all/common';
import type { MutationResolvers } from '../generated/resolvers-types';
import { ingestUpload } from '../upload/ingest';
import type { ResolverDeps } from './deps';

export function mutationResolvers({ blobs, records, log, options }: ResolverDeps): MutationResolvers {
  return {
    uploadFile: async (_parent, args, { identity }) => {
      // Checked before the file is awaited: an anonymous upload is refused without reading it.
      const user = requireUser(identity);
      const upload = await args.file;
      return ingestUpload(
        upload,
        user.userId,
        { maxBytes: options.maxUploadBytes, allowedContentTypes: options.allowedContentTypes },
        { blobs, records, log },
      );
    },
  };
}
