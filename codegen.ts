import type { CodegenConfig } from '@graphql-codegen/cli';
import { apiSchemaSdl } from './gateway/src/supergraph/api-schema';

/**
 * `npm run codegen`: resolver types per subgraph, generated from each subgraph's own SDL (one `generates` entry per
 * subgraph), and typed client documents for the end-to-end tests' operations; all committed. Mappers name the types
 * resolvers really return (the stores' records, key stubs), so a resolver that hands back the wrong shape fails the
 * typecheck.
 */
const resolverPlugins = ['typescript', 'typescript-resolvers'];
const resolverConfig = {
  federation: true,
  useIndexSignature: true,
  useTypeImports: true,
  // GraphQL enums as string unions, so the stores' and the event contracts' unions fit without conversion.
  enumsAsTypes: true,
  // Resolvers may return a Date; the scalar serialises it (and accepts ISO text as input).
  scalars: { DateTime: { input: 'Date', output: 'Date | string' } },
};

const config: CodegenConfig = {
  overwrite: true,
  generates: {
    'subgraphs/messages/src/generated/resolvers-types.ts': {
      schema: 'subgraphs/messages/src/schema.graphql',
      plugins: resolverPlugins,
      config: {
        ...resolverConfig,
        contextType: '../context#MessagesContext',
        mappers: {
          Message: '../store/types#Message as StoredMessage',
          Conversation: '../resolvers/refs#ConversationRef',
          User: '../resolvers/refs#UserRef',
          File: '../resolvers/refs#FileRef',
        },
      },
    },
    'subgraphs/users/src/generated/resolvers-types.ts': {
      schema: 'subgraphs/users/src/schema.graphql',
      plugins: resolverPlugins,
      config: {
        ...resolverConfig,
        contextType: '../context#UsersContext',
        // The repository's records; resolvers never hand out anything else (passwordHash has no field to leak through).
        mappers: {
          User: '../store/port#User as StoredUser',
          Conversation: '../store/port#Conversation as StoredConversation',
        },
      },
    },
    'subgraphs/files/src/generated/resolvers-types.ts': {
      schema: 'subgraphs/files/src/schema.graphql',
      plugins: resolverPlugins,
      config: {
        ...resolverConfig,
        contextType: '../context#FilesContext',
        // An Upload argument arrives as a promise of the streaming file; the scalar is never returned.
        scalars: { ...resolverConfig.scalars, Upload: { input: '../context#UploadArgument', output: 'never' } },
        mappers: { File: '../store/port#FileRecord' },
      },
    },
    // The operations clients run, typed against the API schema the gateway serves (the composed supergraph.graphql
    // without its federation directives and @inaccessible fields): a document that stops matching fails codegen.
    'test/e2e/generated/': {
      schema: apiSchemaSdl(),
      documents: 'test/e2e/operations/*.graphql',
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        // JSON carries DateTime as ISO text; an Upload travels as a multipart file part (see test/e2e/support/upload.ts).
        scalars: { DateTime: 'string', Upload: { input: 'Blob', output: 'never' } },
      },
    },
  },
};

export default config;
