import { ErrorCode, badUserInput, graphqlError } from '@chat4all/common';
import type { GraphQLFieldResolver } from 'graphql';
import { CLOSE_TOO_SLOW, type SubscriptionContext, type SubscriptionDeps } from './context';
import type { LiveEvent } from './fanout';
import { BoundedQueue } from './queue';

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
