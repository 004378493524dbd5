import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { requestUrl, type JwtService } from '@chat4all/common';
import { GraphQLError, getOperationAST, type DocumentNode, type ExecutionArgs, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { bearerExpiryMs, callerFromAuthorization, type Caller } from '../auth';
import { limitError, operationLimitError, type OperationLimits } from '../limits/plugin';
import { CLOSE_TOKEN_EXPIRED, closeTooSlowSocket, type SubscriptionContext, type SubscriptionDeps } from './context';
import { DocumentCache } from './documents';
import { nextMessage, nextPrefix } from './frames';
import { subscribeThroughPlans } from './resolve';
import { eventSubscriber } from './source';

export interface SubscriptionServerOptions extends SubscriptionDeps {
  jwt: Pick<JwtService, 'verify'>;
  /** The API schema the gateway serves (it changes only when the supergraph does). */
  schema: () => GraphQLSchema;
  /** The path graphql-ws answers on: the same as HTTP GraphQL. */
  path: string;
  /** The same depth, alias, cost and token limits as HTTP operations. */
  limits: OperationLimits & { maxTokens: number };
  /** Subscriptions one socket may run at once. */
  maxSubscriptionsPerSocket: number;
  /** Distinct subscription documents kept parsed and validated (shared by the subscribers sending the same text). */
  maxDocuments: number;
  /** Largest message a client may send (`connection_init`, `subscribe`); a bigger one closes the socket with 1009. */
  maxMessageBytes: number;
}

export interface SubscriptionServer {
  /** The HTTP server's `upgrade` listener. */
  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Closes every socket (1001 going away) and the server. */
  close(): Promise<void>;
}

// A type alias (not an interface) so it meets graphql-ws's Record<PropertyKey, unknown> constraint.
type ConnectionExtra = {
  caller?: Caller;
  /** Ids of this socket's subscriptions accepted and not yet started (see onSubscribe). */
  starting?: Set<string>;
};

// setTimeout's longest delay (~24.8 days); a token living longer closes the socket then, and the client reconnects.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A socket is authenticated once, by its `connection_init`: without this it would outlive its token, and subscriptions
 * started on it later would run (and be signed to the subgraphs) as a caller whose token has expired.
 */
function closeAtExpiry(socket: WebSocket, expiresAt: number): void {
  const timer = setTimeout(() => socket.close(CLOSE_TOKEN_EXPIRED.code, CLOSE_TOKEN_EXPIRED.reason), Math.min(Math.max(expiresAt - Date.now(), 0), MAX_TIMER_MS));
  socket.once('close', () => clearTimeout(timer));
}

/**
 * graphql-ws (protocol `graphql-transport-ws`) on the gateway's own HTTP server. `connection_init` must carry
 * `authorization: "Bearer <jwt>"`; without it, or with a token that does not verify, the socket closes with 4403
 * Forbidden, and so it does when the token expires. Only subscriptions run here (queries and mutations go over HTTP); their events come from the Kafka feed.
 */
export function createSubscriptionServer(options: SubscriptionServerOptions): SubscriptionServer {
  const { jwt, log } = options;
  // Without maxPayload, ws takes frames of up to 100 MiB, each kept whole in memory before graphql-ws reads it.
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageBytes });
  const subscribeFieldResolver = eventSubscriber(options);
  const documents = new DocumentCache(options.maxDocuments);

  useServer<Record<string, unknown> | undefined, ConnectionExtra>(
    {
      schema: () => options.schema(),
      onConnect: async (ctx) => {
        const header = ctx.connectionParams?.authorization;
        if (typeof header !== 'string' || header.trim() === '') return false;
        try {
          const caller = await callerFromAuthorization(header, jwt);
          if (!caller) return false;
          ctx.extra.caller = caller;
          const expiresAt = bearerExpiryMs(header);
          if (expiresAt !== undefined) closeAtExpiry(ctx.extra.socket, expiresAt);
          return true;
        } catch {
          return false;
        }
      },
      // Parsed (token-bounded), validated and measured here, so a subscription over the limits never starts.
      onSubscribe: (ctx, id, payload): ExecutionArgs | readonly GraphQLError[] => {
        const schema = options.schema();
        let document: DocumentNode;
        try {
          document = documents.parse(payload.query, options.limits.maxTokens);
        } catch (error) {
          // graphql's own words for it: "Document contains more that <n> tokens. Parsing aborted."
          if (error instanceof GraphQLError && /more th(?:at|an) \d+ tokens/i.test(error.message)) {
            return [limitError('TOO_MANY_TOKENS', `the operation has more than ${options.limits.maxTokens} tokens`)];
          }
          return [error instanceof GraphQLError ? error : new GraphQLError(String(error))];
        }
        // graphql-ws forgets an id completed while it starts, and would start a second one under it: both would run, the
        // first out of its sight (never ended, not even when the socket closes). For us that id still exists: the
        // protocol's answer, 4409, and graphql-ws then ends every subscription of the socket, the starting one too.
        const starting = (ctx.extra.starting ??= new Set());
        if (starting.has(id)) {
          ctx.extra.socket.close(4409, `Subscriber for ${id} already exists`);
          return [new GraphQLError(`subscription ${id} is still starting`, { extensions: { code: 'BAD_REQUEST' } })];
        }
        // The subscription being started is already counted.
        if (Object.keys(ctx.subscriptions).length > options.maxSubscriptionsPerSocket) {
          return [new GraphQLError(`at most ${options.maxSubscriptionsPerSocket} subscriptions run on one socket: complete one first`, { extensions: { code: 'RATE_LIMITED' } })];
        }
        const operation = getOperationAST(document, payload.operationName ?? undefined);
        if (!operation) return [new GraphQLError('the document names no operation to run', { extensions: { code: 'BAD_REQUEST' } })];
        if (operation.operation !== 'subscription') {
          return [new GraphQLError('only subscriptions are served over graphql-ws; send queries and mutations to /graphql over HTTP', { extensions: { code: 'BAD_REQUEST' } })];
        }
        const invalid = documents.validate(schema, payload.query, document);
        if (invalid.length > 0) return invalid;
        const variables = payload.variables ?? undefined;
        const tooBig = operationLimitError(schema, document, operation, variables, options.limits);
        if (tooBig) return [tooBig];
        starting.add(id);
        return { schema, document, operationName: payload.operationName ?? undefined, variableValues: variables };
      },
      context: (ctx, id): SubscriptionContext => {
        const caller = ctx.extra.caller;
        if (!caller) throw new Error('subscription without an authenticated connection');
        const { socket } = ctx.extra;
        const closeSocket = (code: number, reason: string) => socket.close(code, reason);
        const prefix = nextPrefix(id);
        return {
          caller,
          closeSocket,
          socketBuffered: () => socket.bufferedAmount,
          // Events are written here, not by graphql-ws (see subscribeThroughPlans): what the socket holds unsent is
          // bounded before each write, and in source.ts as each event arrives.
          sendNext: (payload) => {
            if (socket.readyState !== socket.OPEN) return;
            if (socket.bufferedAmount > options.maxSocketBufferBytes) return closeTooSlowSocket(options, closeSocket, socket.bufferedAmount);
            socket.send(nextMessage(prefix, payload), { binary: false });
          },
        };
      },
      subscribe: subscribeThroughPlans(options, subscribeFieldResolver),
      // graphql-ws calls this once `subscribe` answered (a stream or errors): the id is no longer starting. (Should
      // `subscribe` throw, graphql-ws closes the socket, and its set goes with it.)
      onOperation: (ctx, id) => {
        ctx.extra.starting?.delete(id);
      },
      onError: (_ctx, _id, _payload, errors) => {
        log.debug({ errors: errors.map((e) => e.message) }, 'subscription refused');
      },
    },
    wss,
  );

  return {
    upgrade(request, socket, head) {
      if (requestUrl(request)?.pathname !== options.path) {
        socket.destroy();
        return;
      }
      wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
    },
    async close() {
      for (const client of wss.clients) client.close(1001, 'gateway shutting down');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
