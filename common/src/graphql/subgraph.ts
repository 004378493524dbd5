import type { IncomingMessage } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerErrorCode, ApolloServerValidationErrorCode, unwrapResolverError } from '@apollo/server/errors';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { parse, type DocumentNode, type GraphQLFormattedError } from 'graphql';
import type { Registry } from 'prom-client';
import { AuthError } from '../auth/errors';
import { verifyIdentity, type Identity } from '../auth/identity';
import { createLogger, type Logger } from '../logging';
import type { RequestHandler } from '../service';
import { ErrorCode, unauthenticated } from './errors';
import { createGraphQLHttpHandler } from './http-handler';
import { operationMetricsPlugin } from './operation-metrics';
import type { UploadOptions } from './uploads';

/** Every subgraph context carries the verified caller (null = anonymous). */
export type SubgraphContext<C extends object = object> = C & { identity: Identity | null };

export interface SubgraphOptions<C extends object> {
  /** The subgraph's name, for logs. */
  name: string;
  /** The subgraph's SDL (Federation 2 `@link`ed). */
  typeDefs: string | DocumentNode;
  resolvers: GraphQLResolverMap<SubgraphContext<C>>;
  /** IDENTITY_SIGNING_KEY: identities not signed with it are refused. */
  identityKey: string;
  /** The service's own context (stores, loaders), built per request once the identity is verified. */
  context?: (identity: Identity | null, req: IncomingMessage) => C | Promise<C>;
  maxBodyBytes?: number;
  uploads?: UploadOptions;
  /** Stack traces and internal error messages in responses, introspection on: never in production. */
  debug?: boolean;
  /** Defaults to `debug`. The gateway composes from `_service { sdl }`, which works either way. */
  introspection?: boolean;
  path?: string;
  log?: Logger;
  /** The service's registry: operations resolved are counted there (`chat4all_graphql_operations_total`). */
  metrics?: Registry;
}

export interface SubgraphHandler<C extends object> {
  handler: RequestHandler;
  server: ApolloServer<SubgraphContext<C>>;
  stop(): Promise<void>;
}

// Codes a client may see as they are; anything else is an unexpected failure and becomes INTERNAL_SERVER_ERROR.
const passThroughCodes = new Set<string>([
  ...Object.values(ErrorCode),
  ...Object.values(ApolloServerErrorCode),
  ...Object.values(ApolloServerValidationErrorCode),
]);
passThroughCodes.delete(ErrorCode.INTERNAL_SERVER_ERROR);

function errorFormatter(debug: boolean, log: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const { stacktrace, ...extensions } = formatted.extensions ?? {};
    const keep = (ext: Record<string, unknown>) => ({ ...formatted, extensions: debug && stacktrace ? { ...ext, stacktrace } : ext });
    if (original instanceof AuthError) return keep({ code: ErrorCode.UNAUTHENTICATED });
    if (typeof extensions.code === 'string' && passThroughCodes.has(extensions.code)) return keep(extensions);
    log.error({ err: original, path: formatted.path }, 'unexpected error in operation');
    return {
      message: debug ? formatted.message : 'internal server error',
      ...(formatted.locations && { locations: formatted.locations }),
      ...(formatted.path && { path: formatted.path }),
      extensions: debug && stacktrace ? { code: ErrorCode.INTERNAL_SERVER_ERROR, stacktrace } : { code: ErrorCode.INTERNAL_SERVER_ERROR },
    };
  };
}

/**
 * One subgraph's GraphQL endpoint: federated schema from SDL + resolvers, the gateway-signed identity verified
 * on every request (a forged one is refused with 401 UNAUTHENTICATED before anything runs), CSRF prevention on,
 * errors that never leak internals unless `debug`. Mount `handler` on the bootstrap (`start` returns it).
 */
export function createSubgraphHandler<C extends object = object>(options: SubgraphOptions<C>): SubgraphHandler<C> {
  const debug = options.debug ?? false;
  const log = options.log ?? createLogger(options.name);
  const typeDefs = typeof options.typeDefs === 'string' ? parse(options.typeDefs) : options.typeDefs;
  const server = new ApolloServer<SubgraphContext<C>>({
    schema: buildSubgraphSchema({ typeDefs, resolvers: options.resolvers as GraphQLResolverMap<unknown> }),
    csrfPrevention: true,
    // The service bootstrap owns SIGINT/SIGTERM and stops this server in its shutdown order; Apollo's own handler
    // would stop it out of order and re-send the signal (several services share one process in `npm start`).
    stopOnTerminationSignals: false,
    introspection: options.introspection ?? debug,
    includeStacktraceInErrorResponses: debug,
    formatError: errorFormatter(debug, log),
    // No inline traces (ftv1; nothing here reports to Apollo Studio) and no cache hints (no type carries one, and the
    // gateway's answers are per user): both plugins wrap every field's resolver, ~5% of a page's CPU.
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      ApolloServerPluginCacheControlDisabled(),
      ...(options.metrics ? [operationMetricsPlugin<SubgraphContext<C>>(options.metrics)] : []),
    ],
    logger: {
      debug: (message: unknown) => log.debug(String(message)),
      info: (message: unknown) => log.info(String(message)),
      warn: (message: unknown) => log.warn(String(message)),
      error: (message: unknown) => log.error(String(message)),
    },
  });
  // Not awaited so this stays synchronous; requests wait for the start, and a failed start fails them (and is logged).
  server.startInBackgroundHandlingStartupErrorsByLoggingAndFailingAllRequests();

  const handler = createGraphQLHttpHandler<SubgraphContext<C>>({
    server,
    path: options.path,
    maxBodyBytes: options.maxBodyBytes,
    uploads: options.uploads,
    log,
    async context(req) {
      let identity: Identity | null;
      try {
        identity = verifyIdentity(req.headers, options.identityKey);
      } catch (error) {
        if (error instanceof AuthError) {
          log.warn({ reason: error.message }, 'refused a request with an invalid identity');
          throw unauthenticated(error.message);
        }
        throw error;
      }
      const own = options.context ? await options.context(identity, req) : ({} as C);
      return { ...own, identity };
    },
  });

  return { handler, server, stop: () => server.stop() };
}
