import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import {
  countStoreCalls,
  createJwtService,
  createSubgraphHandler,
  openEventBus,
  requireSchema,
  type AuthConfig,
  type EventBus,
  type IdentityConfig,
  type Logger,
  type ServiceContext,
  type ServiceDefinition,
  type SubgraphContext,
  type SubgraphHandler,
  type MetricsRegistry,
  TOPICS,
} from '@chat4all/common';
import { configSchema, type Config } from './config';
import type { UsersContext } from './context';
import { activityTopics, startActivityConsumer, type ActivityConsumerOptions } from './events/activity';
import { createLoaders } from './loaders';
import { createResolvers } from './resolvers';
import { CONVERSATION_MAX_MEMBERS_DEFAULT } from './resolvers/input';
import { cachedUsers } from './store/cached-users';
import { openUserStore } from './store/open';
import type { UserRepository } from './store/port';

/** The subgraph's SDL, read once: the same file codegen and composition read. */
export const typeDefs = readFileSync(join(__dirname, 'schema.graphql'), 'utf8');

type OwnContext = Omit<UsersContext, 'identity'>;

export type UsersSubgraphConfig = AuthConfig & IdentityConfig & Pick<Config, 'CHAT4ALL_PROFILE'> & Partial<Pick<Config, 'USER_RECORD_CACHE_ENTRIES' | 'CONVERSATION_MAX_MEMBERS'>>;

/** The GraphQL endpoint alone (no consumer): resolvers over `repository`, identities verified with IDENTITY_SIGNING_KEY. */
export function createUsersSubgraph(
  config: UsersSubgraphConfig,
  deps: { repository: UserRepository; log: Logger; metrics?: MetricsRegistry; announcements?: Pick<EventBus, 'publish'> },
): SubgraphHandler<OwnContext> {
  const resolvers = createResolvers({
    repository: deps.repository,
    jwt: createJwtService(config),
    log: deps.log,
    announcements: deps.announcements,
    metrics: deps.metrics,
    maxMembers: config.CONVERSATION_MAX_MEMBERS ?? CONVERSATION_MAX_MEMBERS_DEFAULT,
  });
  const cacheEntries = config.USER_RECORD_CACHE_ENTRIES ?? 0;
  const users = cacheEntries > 0 ? cachedUsers(deps.repository, cacheEntries) : deps.repository;
  return createSubgraphHandler<OwnContext>({
    name: 'users',
    typeDefs,
    // The generated map is typed per field; Apollo's map is the loose form of the same object.
    resolvers: resolvers as GraphQLResolverMap<SubgraphContext<OwnContext>>,
    identityKey: config.IDENTITY_SIGNING_KEY,
    introspection: config.CHAT4ALL_PROFILE !== 'production',
    // New loaders per request: batching within one operation; across requests only users are kept (they never change).
    context: () => ({ loaders: createLoaders(deps.repository, users) }),
    log: deps.log.child({ component: 'graphql' }),
    metrics: deps.metrics,
  });
}

export interface UsersDependencies {
  repository: UserRepository;
  /** Readiness of the database behind `repository`: names of what is wrong, empty when it answers. */
  checkDatabase: () => Promise<string[]>;
  /**
   * Carries the activity consumer and the membership announcements; without one (e.g. a test of the API alone) no
   * consumer runs and nothing is announced.
   */
  bus?: EventBus;
  /** Where membership changes are announced instead of `bus` (a test records them, or makes publishing fail). */
  announcements?: Pick<EventBus, 'publish'>;
  /** The consumer's options beyond the defaults (a test uses a group of its own and quick retries). */
  activity?: Pick<ActivityConsumerOptions, 'groupId' | 'retry' | 'concurrency'>;
}

/**
 * Builds the running service from config and dependencies: the subgraph handler, the activity consumer, readiness
 * and shutdown steps. `main.ts` passes the real engines; tests pass their own (e.g. a repository that counts statements).
 * Closing the repository and the bus stays with whoever created them.
 */
export async function startUsersService(
  context: ServiceContext<UsersSubgraphConfig>,
  deps: UsersDependencies,
): Promise<{ handler: SubgraphHandler<OwnContext>['handler'] }> {
  const { config, log } = context;
  context.addReadinessCheck('database', deps.checkDatabase);
  // Calls per method on /metrics (chat4all_store_calls_total{store="users"}): shows the DataLoaders batching.
  const repository = countStoreCalls(deps.repository, context.metrics, 'users');

  if (deps.bus) {
    const subscription = await startActivityConsumer({ ...deps.activity, bus: deps.bus, repository, log });
    context.onShutdown('activity consumer', () => subscription.stop());
  }

  const announcements = deps.announcements ?? deps.bus;
  const subgraph = createUsersSubgraph(config, { repository, log, metrics: context.metrics, announcements });
  // Registered after the consumer, so it stops first (shutdown runs in reverse): no new requests, then no new events.
  context.onShutdown('graphql', () => subgraph.stop());
  return { handler: subgraph.handler };
}

/**
 * The whole service for the bootstrap (`runServiceMain` in main.ts, the embedded platform): the repository and the bus
 * the profile picks, schema and topics checked before anything is served, then `startUsersService`.
 */
export function usersService(): ServiceDefinition<typeof configSchema> {
  return {
    name: 'users',
    configSchema,
    async start(context) {
      const { config, log } = context;
      const store = await openUserStore(config, { log });
      // Registered first, so closed last: after the consumer and the HTTP server have stopped using it.
      context.onShutdown('database', () => store.repository.close());
      const bus = await openEventBus(config, log);
      context.onShutdown('event bus', () => bus.close());
      await requireSchema('event bus', () => bus.missingTopics([...activityTopics.consumes, TOPICS.conversationMembers]));
      const missingDeadLetter = await bus.missingTopics([activityTopics.deadLetter]);
      if (missingDeadLetter.length > 0) {
        log.warn({ missing: missingDeadLetter }, 'no dead-letter topic: an undecodable activity event would stall its partition');
      }
      return startUsersService(context, { repository: store.repository, bus, checkDatabase: () => store.checkConnection() });
    },
  };
}
