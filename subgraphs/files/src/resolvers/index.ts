import { UploadScalar } from '@chat4all/common';
import type { Resolvers } from '../generated/resolvers-types';
import type { ResolverDeps } from './deps';
import { fileResolvers } from './File';
import { mutationResolvers } from './Mutation';
import { queryResolvers } from './Query';

export type { ResolverDeps } from './deps';

/** The subgraph's resolvers, typed by codegen from schema.graphql (`npm run codegen`). */
export function createResolvers(deps: ResolverDeps): Resolvers {
  return {
    Upload: UploadScalar,
    Query: queryResolvers(),
    Mutation: mutationResolvers(deps),
    File: fileResolvers(deps),
  };
}
