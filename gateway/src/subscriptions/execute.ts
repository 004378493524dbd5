import { ErrorCode, badUserInput, graphqlError, type Logger, type Membership } from '@chat4all/common';
import { GraphQLError, type GraphQLFieldResolver, type GraphQLResolveInfo } from 'graphql';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Caller } from '../auth';
import type { FanOut, LiveEvent } from './fanout';
import { BoundedQueue } from './queue';
import { messageQuery, type MessageQuery } from './selection';

/** Runs a query through the gateway's own executor (supergraph, signed identity), as HTTP requests do. */
export type RunQuery = (query: MessageQuery, caller: Caller) => Promise<{ data?: Record<string, unknown> | null; errors?: readonly { message: string; extensions?: Record<string, unknown> }[] }>;

/** What every subscription's resolvers see. */
export interface SubscriptionContext {
  caller: Caller;
  /** Closes this subscriber's socket (used when its buffer overflows). */
  closeSocket(code: number, reason: string): void;
}

export interface SubscriptionDeps {
  fanOut: FanOut;
  membership: Pick<Membership, 'isMember'>;
  runQuery: RunQuery;
  /** Most events waiting for one subscriber; beyond it the socket closes with 4429. */
  bufferSize: number;
  log: Logger;
}

export const CLOSE_TOO_SLOW = { code: 4429, reason: 'subscriber too slow' } as const;

/** The event a fetched message belongs to: fields the event carries (its status) come from it, not from the store. */
const EVENT = Symbol('chat4all.event');
type FetchedMessage = Record<string | symbol, unknown> & { [EVENT]?: LiveEvent };

// The messages subgraph publishes an accepted message before it stores its copy: the first look may miss it.
const NOT_YET_STORED_RETRIES = [50, 100, 200, 400, 800];

async function fetchMessage(deps: SubscriptionDeps, event: LiveEvent, info: GraphQLResolveInfo, caller: Caller): Promise<FetchedMessage> {
  const query = messageQuery(info, event.messageId);
  for (let attempt = 0; ; attempt++) {
    const { data, errors } = await deps.runQuery(query, caller);
    const message = data?.message;
    if (message && typeof message === 'object') return { ...(message as Record<string, unknown>), [EVENT]: event };
    const first = errors?.[0];
    const retry = NOT_YET_STORED_RETRIES[attempt];
    if (first?.extensions?.code === ErrorCode.NOT_FOUND && retry !== undefined) {
      await sleep(retry);
      continue;
    }
    throw new GraphQLError(first?.message ?? 'message not found', { extensions: { ...first?.extensions } });
  }
}

/**
 * Resolves every field of a subscription's events. Root field: the event itself (`messageAdded`: its message).
 * `MessageEvent.message`: the subscriber's selection fetched through the gateway's executor. Below that, values come
 * from the fetched result by response key (aliases included); a message's `status` is the event's.
 */
export function eventFieldResolver(deps: SubscriptionDeps): GraphQLFieldResolver<unknown, SubscriptionContext> {
  return (source, _args, context, info) => {
    const parent = info.parentType.name;
    if (parent === 'Subscription') {
      const event = source as LiveEvent;
      return info.fieldName === 'messageAdded' ? fetchMessage(deps, event, info, context.caller) : event;
    }
    if (parent === 'MessageEvent') {
      const event = source as LiveEvent;
      if (info.fieldName === 'message') return fetchMessage(deps, event, info, context.caller);
      return info.fieldName === 'previousStatus' ? event.previousStatus : info.fieldName === 'cursor' ? event.cursor : undefined;
    }
    const value = source as FetchedMessage;
    if (parent === 'Message' && info.fieldName === 'status' && value[EVENT]) return value[EVENT].status;
    return value[info.path.key as string];
  };
}

/**
 * The root field's event stream for one subscriber: the fan-out's events of the conversation (or of every
 * conversation, for `myEvents`) through a bounded queue, each one passed only if the subscriber is a member of its
 * conversation when it is delivered (membership answers are cached briefly; see docs/subscriptions.md).
 */
export function eventSubscriber(deps: SubscriptionDeps): GraphQLFieldResolver<unknown, SubscriptionContext> {
  return (_source, args: { conversationId?: string; after?: string | null }, context, info) => {
    if (args.after !== undefined && args.after !== null) {
      throw badUserInput('resuming with `after` is not available yet; subscribe without it to receive live events', 'after');
    }
    const field = info.fieldName;
    if (field !== 'messageAdded' && field !== 'messageStatusChanged' && field !== 'myEvents') {
      throw graphqlError(ErrorCode.BAD_REQUEST, `unknown subscription field ${field}`);
    }
    const queue = new BoundedQueue<LiveEvent>(deps.bufferSize, () => {
      deps.log.warn({ userId: context.caller.userId, field, buffered: deps.bufferSize }, 'subscriber too slow: closing its socket');
      context.closeSocket(CLOSE_TOO_SLOW.code, CLOSE_TOO_SLOW.reason);
    }, () => stop());
    const stop = deps.fanOut.listen(field === 'myEvents' ? null : (args.conversationId ?? ''), (event) => {
      if (field === 'messageAdded' && event.kind !== 'added') return;
      queue.push(event);
    });
    const { userId } = context.caller;
    const iterator: AsyncIterableIterator<LiveEvent> = {
      async next() {
        for (;;) {
          const item = await queue.next();
          if (item.done) return item;
          if (await deps.membership.isMember(item.value.conversationId, userId)) return item;
        }
      },
      return: () => queue.return(),
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  };
}
