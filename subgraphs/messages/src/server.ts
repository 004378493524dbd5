import { readFileSync } from 'node:fs';
import path from 'node:path';
import DataLoader from 'dataloader';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import {
  createSubgraphHandler,
  followMembershipChanges,
  openEventBus,
  requireSchema,
  signIdentity,
  type EventBus,
  type Logger,
  type ServiceDefinition,
  type SubgraphContext,
  type SubgraphHandler,
  type MetricsRegistry,
} from '@chat4all/common';
import type { SendClaimStore } from './claims/port';
import { configSchema, type Config } from './config';
import type { MessagesContext } from './context';
import { FilesSubgraphDirectory } from './peers/files';
import { Membership } from './peers/membership';
import type { ConversationDirectory, FileDirectory } from './peers/port';
import { UsersSubgraphDirectory } from './peers/users';
import { createResolvers } from './resolvers';
import { MessageSender } from './send/sender';
import { openMessageStore, openSendClaimStore, opened } from './store/open';
import type { MessageStore } from './store/port';

export const SERVICE_NAME = 'messages';
export const typeDefs = readFileSync(path.join(__dirname, 'schema.graphql'), 'utf8');

/** What the subgraph runs on; main.ts passes the real adapters, tests may pass their own. */
export interface MessagesDependencies {
  store: MessageStore;
  claims: SendClaimStore;
  bus: EventBus;
  /** Conversation members (the users subgraph). */
  conversations: ConversationDirectory;
  /** File owners (the files subgraph). */
  files: FileDirectory;
  log: Logger;
  /** Where operations resolved are counted (/metrics). */
  metrics?: MetricsRegistry;
  /** The membership cache over `conversations` (`createMembership`), shared with whoever drops its answers on a change. */
  membership: Membership;
}

export type MessagesServerConfig = Pick<
  Config,
  'IDENTITY_SIGNING_KEY' | 'MAX_CONTENT_LENGTH' | 'MEMBERSHIP_CACHE_TTL_MS' | 'MEMBERSHIP_CACHE_MAX_ENTRIES' | 'SEND_CLAIM_LEASE_MS'
>;

type MessagesOwnContext = Omit<MessagesContext, 'identity'>;

/** Who belongs to which conversation, asked of the users subgraph and cached as configured. */
export function createMembership(
  config: Pick<Config, 'MEMBERSHIP_CACHE_TTL_MS' | 'MEMBERSHIP_CACHE_MAX_ENTRIES'>,
  conversations: ConversationDirectory,
): Membership {
  return new Membership(conversations, { ttlMs: config.MEMBERSHIP_CACHE_TTL_MS, maxEntries: config.MEMBERSHIP_CACHE_MAX_ENTRIES });
}

/** The messages subgraph's GraphQL handler (mount it on the service bootstrap, or on any node http server). */
export function createMessagesSubgraph(config: MessagesServerConfig, deps: MessagesDependencies): SubgraphHandler<MessagesOwnContext> {
  const { membership } = deps;
  const sender = new MessageSender({
    store: deps.store,
    claims: deps.claims,
    bus: deps.bus,
    membership,
    files: deps.files,
    log: deps.log,
    options: { maxContentLength: config.MAX_CONTENT_LENGTH, claimLeaseMs: config.SEND_CLAIM_LEASE_MS },
  });
  const resolvers = createResolvers({ store: deps.store, sender, membership, log: deps.log });
  return createSubgraphHandler<MessagesOwnContext>({
    name: SERVICE_NAME,
    typeDefs,
    // Codegen's resolver map (with typed parents and args) is a stricter form of the one buildSubgraphSchema takes.
    resolvers: resolvers as GraphQLResolverMap<SubgraphContext<MessagesOwnContext>>,
    identityKey: config.IDENTITY_SIGNING_KEY,
    log: deps.log,
    metrics: deps.metrics,
    context: () => ({ loaders: { message: new DataLoader((ids: readonly string[]) => deps.store.getMany(ids)) } }),
  });
}

/** The users and files subgraphs, called with this service's own signed identity. */
export function peerDirectories(
  config: Pick<Config, 'IDENTITY_SIGNING_KEY' | 'SUBGRAPH_USERS_URL' | 'SUBGRAPH_FILES_URL' | 'PEER_TIMEOUT_MS'>,
): { conversations: ConversationDirectory; files: FileDirectory } {
  const authHeaders = () => signIdentity({ service: SERVICE_NAME }, config.IDENTITY_SIGNING_KEY);
  return {
    conversations: new UsersSubgraphDirectory({ name: 'users', url: config.SUBGRAPH_USERS_URL, authHeaders, timeoutMs: config.PEER_TIMEOUT_MS }),
    files: new FilesSubgraphDirectory({ name: 'files', url: config.SUBGRAPH_FILES_URL, authHeaders, timeoutMs: config.PEER_TIMEOUT_MS }),
  };
}

/** Dependencies a test may supply instead of the real ones (which are then not created). */
export type MessagesOverrides = Partial<Omit<MessagesDependencies, 'log' | 'membership'>>;

/**
 * The whole service for the bootstrap (`runServiceMain` in main.ts, `startService` in tests): opens the bus and the
 * stores the profile picks (refusing unmigrated ones), follows membership changes, serves GraphQL, reports readiness,
 * and stops in order.
 */
export function messagesService(overrides: MessagesOverrides = {}): ServiceDefinition<typeof configSchema> {
  return {
    name: SERVICE_NAME,
    configSchema,
    async start({ config, log, metrics, onShutdown, addReadinessCheck }) {
      // Refuse to start on an unmigrated store or missing topics rather than fail on the first request.
      let bus: EventBus;
      if (overrides.bus) {
        bus = overrides.bus;
      } else {
        const platformBus = await openEventBus(config, log);
        await requireSchema('event bus', () => platformBus.missingTopics());
        addReadinessCheck('event bus', () => platformBus.missingTopics());
        bus = platformBus;
      }
      onShutdown('event bus', () => bus.close());
      const store = overrides.store ?? (await opened(openMessageStore(config, log), addReadinessCheck));
      onShutdown('message store', () => store.close());
      const claims = overrides.claims ?? (await opened(openSendClaimStore(config, log), addReadinessCheck));
      onShutdown('send claims', () => claims.close());

      const peers = { ...peerDirectories(config), ...overrides };
      const membership = createMembership(config, peers.conversations);
      // Listening before the first request is served: every change announced after an answer is cached drops it.
      const changes = await followMembershipChanges(bus, ({ conversationId }) => membership.invalidate(conversationId), { log, metrics });
      onShutdown('membership changes', () => changes.stop());
      const subgraph = createMessagesSubgraph(config, { ...peers, store, claims, bus, log, metrics, membership });
      // Steps run in reverse: the HTTP server stops first (bootstrap), then GraphQL, the stores, the bus.
      onShutdown('graphql', () => subgraph.stop());

      return { handler: subgraph.handler };
    },
  };
}
