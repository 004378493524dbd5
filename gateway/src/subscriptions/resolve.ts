import { ErrorCode } from '@chat4all/common';
import { GraphQLError, type GraphQLFieldResolver, type GraphQLResolveInfo } from 'graphql';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Caller } from '../auth';
import type { SubscriptionContext, SubscriptionDeps } from './context';
import type { LiveEvent } from './fanout';
import { messageQuery } from './selection';

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
