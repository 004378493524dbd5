import { ApolloGateway } from '@apollo/gateway';
import { unwrapResolverError } from '@apollo/server/errors';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDisableSuggestions } from '@apollo/server/plugin/disableSuggestions';
import {
  createJwtService,
  followMembershipChanges,
  openEventBus,
  ErrorCode,
  Membership,
  signIdentity,
  UsersSubgraphDirectory,
  type EventBus,
  type Logger,
  type Reader,
  type RequestHandler,
  type ServiceDefinition,
  type UpgradeListener,
} from '@chat4all/common';
import { buildSchema, printSchema, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import type { Registry } from 'prom-client';
import { cachingVerifier } from './auth';
import { configSchema, graphqlToggles, type Config } from './config';
import { createGatewayHandler } from './http/handler';
import { limitHeapGrowth } from './heap';
import type { Login } from './http/token';
import { operationLimitsPlugin } from './limits/plugin';
import { LimitedApolloServer } from './limits/request-limits';
import { buildPlaygroundAssets, createPlaygroundHandler, PLAYGROUND_PATH } from './playground';
import { createSubgraphAgent, createUndiciFetcher } from './subgraphs/fetcher';
import { duplicateErrorsPlugin } from './subgraphs/duplicate-errors';
import { supergraphSource, subgraphUrls } from './supergraph/load';
import { UploadingDataSource } from './uploads/data-source';
import {
  createSubscriptionServer,
  DEFAULT_PACING,
  EventResolver,
  FanOut,
  MemberLists,
  NO_METRICS,
  Replays,
  startFeed,
  resolutionMetrics,
  subscriptionMetrics,
  SubscriptionPlanner,
  type Feed,
} from './subscriptions';
import type { ServiceMap } from '@apollo/gateway';

export interface Gateway {
  handler: RequestHandler;
  server: LimitedApolloServer;
  /** Runs the `login` mutation through the gateway's own executor (what `/token` does). */
  login: Login;
  /** The playground's path (`/playground`) when PLAYGROUND_ENABLED (or its profile default) turns it on. */
  playgroundPath: string | undefined;
  /** graphql-ws on the same port and path (`/graphql`), fed by this instance's reader of `messages.status`. */
  upgrade: UpgradeListener;
  feed: Feed;
  stop(): Promise<void>;
}

const LOGIN = 'mutation Login($username: String!, $password: String!) { login(username: $username, password: $password) { token } }';
// What the users subgraph answers for a wrong username or password (or an impossible one).
const CREDENTIAL_CODES = new Set(['UNAUTHENTICATED', 'BAD_USER_INPUT', 'FORBIDDEN']);

function loginThrough(server: LimitedApolloServer): Login {
  return async (username, password) => {
    const response = await server.executeOperation({ query: LOGIN, variables: { username, password } }, { contextValue: { identity: null } });
    if (response.body.kind !== 'single') return { ok: false, reason: 'unavailable', message: 'unexpected incremental response' };
    const { data, errors } = response.body.singleResult;
    const token = (data as { login?: { token?: unknown } } | null | undefined)?.login?.token;
    if (typeof token === 'string' && token !== '') return { ok: true, token };
    const first = errors?.[0];
    if (first && CREDENTIAL_CODES.has(String(first.extensions?.code))) return { ok: false, reason: 'credentials', message: first.message };
    return { ok: false, reason: 'unavailable', message: first?.message ?? 'no token in the login response' };
  };
}

/**
 * In production an unexpected error (a subgraph that cannot be reached, a bug) reaches the client
 * as a bare INTERNAL_SERVER_ERROR: its message may name internal addresses. The log keeps it.
 * Errors with any other code (the subgraphs' own, the limits) pass as they are.
 */
function productionErrorFormatter(log: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    if (formatted.extensions?.code !== ErrorCode.INTERNAL_SERVER_ERROR) return formatted;
    log.error({ err: unwrapResolverError(error), path: formatted.path }, 'internal error in operation');
    return {
      message: 'internal server error',
      ...(formatted.locations && { locations: formatted.locations }),
      ...(formatted.path && { path: formatted.path }),
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    };
  };
}

/** Builds the gateway from its config: supergraph, subgraph pools, limits, auth, `/graphql` and `/token`. */
export interface GatewayOptions {
  /** The event bus subscriptions read (default: the profile's, from the one bus factory). */
  bus?: EventBus;
  /** The service's registry: subscription metrics go on /metrics. */
  metrics?: Registry;
}

export async function createGateway(config: Config, log: Logger, options: GatewayOptions = {}): Promise<Gateway> {
  const supergraph = await supergraphSource(config);
  const agent = createSubgraphAgent({
    connections: config.SUBGRAPH_CONNECTIONS,
    keepAliveMs: config.SUBGRAPH_KEEPALIVE_MS,
    timeoutMs: config.SUBGRAPH_TIMEOUT_MS,
  });
  const fetcher = createUndiciFetcher(agent);
  if (config.SUPERGRAPH_MODE === 'introspect' && config.CHAT4ALL_PROFILE === 'production') {
    log.warn('SUPERGRAPH_MODE=introspect is a development option: production should serve the reviewed supergraph.graphql');
  }
  const urls = subgraphUrls(config);
  const apolloLog = log.child({ component: 'apollo' });
  // Every subgraph gets the signed identity and the keep-alive pool; a fetch that carries an
  // Upload is re-sent as a streamed multipart request (only `files` takes one today).
  const buildService = (name: string, url: string | undefined) =>
    new UploadingDataSource({
      name,
      url: urls[name] ?? url ?? '',
      log,
      fetcher,
      dispatcher: agent,
      identityKey: config.IDENTITY_SIGNING_KEY,
      maxFileBytes: config.MAX_UPLOAD_BYTES,
      timeoutMs: config.SUBGRAPH_TIMEOUT_MS,
      idleTimeoutMs: config.UPLOAD_IDLE_TIMEOUT_MS,
    });

  const gateway = new ApolloGateway({
    ...supergraph,
    logger: {
      debug: (message: unknown) => apolloLog.debug(String(message)),
      info: (message: unknown) => apolloLog.info(String(message)),
      warn: (message: unknown) => apolloLog.warn(String(message)),
      error: (message: unknown) => apolloLog.error(String(message)),
    },
    buildService: ({ name, url }) => buildService(name, url),
  });

  // The API schema the gateway serves, for validating subscriptions (graphql-ws executes them, not Apollo).
  // Rebuilt from its SDL: the gateway's own schema object carries resolvers of its own, which would shadow ours.
  let apiSchema: GraphQLSchema | undefined;
  // Subscription events are resolved on the query planner's output with data sources like the gateway's own.
  let planner: SubscriptionPlanner | undefined;
  let services: ServiceMap = Object.create(null) as ServiceMap;
  gateway.onSchemaLoadOrUpdate(({ apiSchema: schema, coreSupergraphSdl }) => {
    apiSchema = buildSchema(printSchema(schema));
    planner = new SubscriptionPlanner(coreSupergraphSdl, config.SUBSCRIPTION_PLAN_CACHE);
    const next = Object.create(null) as ServiceMap;
    for (const { name, url } of planner.subgraphs) next[name] = services[name] ?? buildService(name, url);
    services = next;
  });

  const toggles = graphqlToggles(config);
  const server = new LimitedApolloServer(
    {
      gateway,
      csrfPrevention: true,
      // The service bootstrap owns SIGINT/SIGTERM (see createSubgraphHandler).
      stopOnTerminationSignals: false,
      allowBatchedHttpRequests: true,
      introspection: toggles.introspection,
      includeStacktraceInErrorResponses: config.CHAT4ALL_PROFILE !== 'production',
      ...(config.CHAT4ALL_PROFILE === 'production' && { formatError: productionErrorFormatter(log) }),
      plugins: [
        // Apollo's landing page loads Apollo Sandbox from a CDN; our playground (bundled, served below) replaces it.
        ApolloServerPluginLandingPageDisabled(),
        // Without introspection, "Did you mean …?" would still spell the schema out field by field.
        ...(toggles.introspection ? [] : [ApolloServerPluginDisableSuggestions()]),
        operationLimitsPlugin({ maxDepth: config.GRAPHQL_MAX_DEPTH, maxAliases: config.GRAPHQL_MAX_ALIASES, maxCost: config.GRAPHQL_MAX_COST }),
        duplicateErrorsPlugin(),
      ],
    },
    { maxBatch: config.GRAPHQL_MAX_BATCH, maxTokens: config.GRAPHQL_MAX_TOKENS },
  );


  try {
    await server.start();
  } catch (error) {
    await agent.close();
    throw error;
  }
  const login = loginThrough(server);
  const jwt = cachingVerifier(createJwtService(config), config.TOKEN_CACHE_ENTRIES);
  // Built beside the rest of the start (esbuild runs in its own process); the page's first request waits for it.
  const playground = toggles.playground ? buildPlaygroundAssets() : undefined;
  void playground?.then(
    (assets) => log.debug({ ms: assets.buildMs }, 'playground bundle built'),
    (error: unknown) => log.error({ err: error }, 'the playground bundle failed to build; /playground answers 503'),
  );
  const handler = createGatewayHandler({
    ...(playground && { playground: createPlaygroundHandler(playground) }),
    server,
    jwt,
    login,
    log,
    maxBodyBytes: config.GRAPHQL_MAX_BODY_BYTES,
    maxUploadBytes: config.MAX_UPLOAD_BYTES,
    maxUploadFiles: config.MAX_UPLOAD_FILES,
  });

  const subscriptionLog = log.child({ component: 'subscriptions' });
  const bus = options.bus ?? (await openEventBus(config, log));
  const metrics = options.metrics ? subscriptionMetrics(options.metrics) : NO_METRICS;
  const registry = options.metrics;
  const fanOut = new FanOut({ ...DEFAULT_PACING, ahead: config.SUBSCRIPTION_FANOUT_AHEAD, waited: (ms) => metrics.feedWaited(ms) });
  // Membership is asked of the users subgraph as the gateway itself (a signed service identity), cached briefly.
  const directory = new UsersSubgraphDirectory({
    name: 'users',
    url: config.SUBGRAPH_USERS_URL,
    authHeaders: () => signIdentity({ service: 'gateway' }, config.IDENTITY_SIGNING_KEY),
    timeoutMs: config.SUBGRAPH_TIMEOUT_MS,
  });
  const membership = new Membership(directory, { ttlMs: config.SUBSCRIPTION_MEMBERSHIP_TTL_MS, maxEntries: 10_000 });
  // myEvents subscribers' conversations, refreshed on the same TTL: the same bound for a change never announced.
  const memberLists = new MemberLists(directory, { refreshMs: config.SUBSCRIPTION_MEMBERSHIP_TTL_MS, log: subscriptionLog });
  // Both readers are at the live edge before any subscriber is served; announced membership changes apply at once.
  let feed: Feed | undefined;
  let membershipChanges: Reader;
  try {
    feed = await startFeed(bus, fanOut, subscriptionLog, { lookback: config.SUBSCRIPTION_REPLAY_LOOKBACK });
    membershipChanges = await followMembershipChanges(
      bus,
      (notice) => {
        membership.invalidate(notice.conversationId);
        memberLists.apply(notice);
      },
      { log: subscriptionLog, metrics: registry },
    );
  } catch (error) {
    await feed?.stop();
    await server.stop();
    await agent.close();
    await bus.close();
    throw error;
  }
  const replays = new Replays(
    bus,
    { maxConcurrent: config.SUBSCRIPTION_MAX_REPLAYS, maxRecords: config.SUBSCRIPTION_MAX_REPLAY_RECORDS, lookback: config.SUBSCRIPTION_REPLAY_LOOKBACK },
    subscriptionLog,
    (outcome) => metrics.replay(outcome),
  );
  const subscriptions = createSubscriptionServer({
    jwt,
    path: '/graphql',
    limits: { maxDepth: config.GRAPHQL_MAX_DEPTH, maxAliases: config.GRAPHQL_MAX_ALIASES, maxCost: config.GRAPHQL_MAX_COST, maxTokens: config.GRAPHQL_MAX_TOKENS },
    schema: () => {
      if (!apiSchema) throw new Error('the supergraph is not loaded');
      return apiSchema;
    },
    fanOut,
    feed,
    replays,
    membership,
    memberLists,
    bufferSize: config.SUBSCRIPTION_BUFFER,
    maxSocketBufferBytes: config.SUBSCRIPTION_MAX_SOCKET_BUFFER_BYTES,
    maxSubscriptionsPerSocket: config.SUBSCRIPTION_MAX_PER_SOCKET,
    maxDocuments: config.SUBSCRIPTION_PLAN_CACHE,
    // The limit of a request body over HTTP: a subscription's document and variables are no bigger.
    maxMessageBytes: config.GRAPHQL_MAX_BODY_BYTES,
    metrics,
    log: subscriptionLog,
    events: new EventResolver({
      planner: () => {
        if (!planner) throw new Error('the supergraph is not loaded');
        return planner;
      },
      services: () => services,
      log: subscriptionLog,
      ...(registry && { metrics: resolutionMetrics(registry) }),
    }),
  });

  return {
    handler,
    server,
    login,
    playgroundPath: playground ? PLAYGROUND_PATH : undefined,
    upgrade: (request, socket, head) => subscriptions.upgrade(request, socket, head),
    feed,
    async stop() {
      // Subscribers and the feed first, then Apollo (which stops the gateway), then the idle pooled connections.
      await subscriptions.close();
      await membershipChanges.stop();
      await feed.stop();
      await bus.close();
      await server.stop();
      await agent.close();
    },
  };
}

/** The gateway as a bootstrap service (main.ts runs it; tests start it with their own env). */
export const gatewayService: ServiceDefinition<typeof configSchema> = {
  name: 'gateway',
  configSchema,
  async start({ config, log, metrics, onShutdown, addReadinessCheck }) {
    limitHeapGrowth(config.HEAP_GROWTH_PERCENT);
    const gateway = await createGateway(config, log, { metrics });
    onShutdown('gateway', () => gateway.stop());
    if (gateway.playgroundPath) {
      const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
      log.info({ url: `http://${host}:${config.PORT}${gateway.playgroundPath}` }, 'playground enabled');
    }
    // Composition happened before start returned; the check reports a server that has been stopped.
    addReadinessCheck('supergraph', async () => (gateway.server.assertStarted('readyz'), []));
    // Subscribers only get events published after the feed's reader is positioned at the live edge.
    addReadinessCheck('subscription feed', async () => (gateway.feed.ready ? [] : ['the subscription feed is not reading the event log']));
    return { handler: gateway.handler, upgrade: gateway.upgrade };
  },
};
