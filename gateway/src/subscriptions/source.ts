import { ErrorCode, badUserInput, canonicalUuid, graphqlError, unavailable } from '@chat4all/common';
import type { GraphQLFieldResolver } from 'graphql';
import { CLOSE_TOO_SLOW, closeTooSlowSocket, type SubscriptionContext, type SubscriptionDeps } from './context';
import { decodeCursor } from './cursor';
import type { LiveEvent, Prefetcher } from './fanout';
import type { ConversationFilter } from './member-lists';
import { wanted, type EventFilter } from './resume';
import { SubscriberStream } from './stream';

/**
 * The root field's event stream for one subscriber: the fan-out's events of the conversation (or, for `myEvents`,
 * of every conversation the subscriber's member list names) through a bounded queue, each one passed only if the
 * subscriber is a member of its conversation when it is delivered (membership answers are cached briefly; see
 * docs/subscriptions.md). With `after`, the live listener is attached first, then the events after the cursor are
 * replayed, then the held live ones follow.
 */
export function eventSubscriber(deps: SubscriptionDeps): GraphQLFieldResolver<unknown, SubscriptionContext> {
  return async (_source, args: { conversationId?: string; after?: string | null }, context, info) => {
    const field = info.fieldName;
    if (field !== 'messageAdded' && field !== 'messageStatusChanged' && field !== 'myEvents') {
      throw graphqlError(ErrorCode.BAD_REQUEST, `unknown subscription field ${field}`);
    }
    // Events carry ids as the services spell them (lower case): another spelling, or no UUID at all, would match none.
    const conversationId = field === 'myEvents' ? null : canonicalUuid(args.conversationId ?? '');
    if (field !== 'myEvents' && conversationId === null) throw badUserInput('conversationId is not a conversation id', 'conversationId');
    let after = null;
    if (args.after !== undefined && args.after !== null) {
      after = decodeCursor(args.after);
      if (!after) throw badUserInput('`after` is not a cursor this API gave out: pass the `cursor` of the last event received', 'after');
    }
    const { userId } = context.caller;
    // myEvents listens to every conversation: only those the subscriber may belong to take room in its queue.
    const lists = field === 'myEvents' ? await watchMemberLists(deps, userId) : null;
    const filter: EventFilter = {
      conversationId,
      addedOnly: field === 'messageAdded',
      ...(lists && { mayBelong: (conversationId: string) => lists.mayBelong(conversationId) }),
    };
    let cancelReplay = () => undefined as void;
    const stream = new SubscriberStream(
      deps.bufferSize,
      after ? { resumeAfter: after } : { live: deps.feed.position() },
      () => {
        deps.log.warn({ userId: context.caller.userId, field, buffered: deps.bufferSize }, 'subscriber too slow: closing its socket');
        deps.metrics.tooSlow('queue');
        context.closeSocket(CLOSE_TOO_SLOW.code, CLOSE_TOO_SLOW.reason);
      },
      () => {
        stopListening();
        untrack();
        cancelReplay();
        lists?.release();
      },
      deps.fanOut.backlog,
    );
    const untrack = deps.metrics.track(stream.queue);
    const { prefetch, deliverNow } = context;
    // Straight to the socket only when the membership cache says "member" now; else the queue's reader asks.
    if (deliverNow) stream.direct = (event, done) => deps.membership.isMemberNow(event.conversationId, userId) === true && deliverNow(event, done);
    const prefetcher: Prefetcher | undefined = prefetch && {
      key: prefetch.key,
      start: (event) => {
        if (!wanted(filter, event) || stream.queue.isEnded || deps.membership.isMemberNow(event.conversationId, userId) !== true) return false;
        prefetch.start(event);
        return true;
      },
    };
    const stopListening = deps.fanOut.listen(filter.conversationId, (event) => {
      if (!wanted(filter, event)) return;
      // A client that stopped reading leaves the socket's last sends unsent: close before queueing more for it.
      const buffered = context.socketBuffered();
      if (buffered > deps.maxSocketBufferBytes) {
        stream.queue.end();
        closeTooSlowSocket(deps, context.closeSocket, buffered);
        return;
      }
      stream.live(event);
    }, prefetcher);
    if (after) {
      try {
        cancelReplay = await deps.replays.start(after, stream, filter);
      } catch (error) {
        stream.queue.end();
        throw error;
      }
    }
    const { queue } = stream;
    /**
     * The exact check when the cache has no answer. If the users subgraph cannot answer, the subscription ends with
     * UNAVAILABLE: graphql-ws sends the error but, when `next()` rejects, never calls `return()`, so the queue is
     * ended here (else its listener would stay, collecting events for no reader until the socket is closed as too slow).
     */
    const checkMember = async (conversationId: string): Promise<boolean> => {
      try {
        return await deps.membership.isMember(conversationId, userId);
      } catch (error) {
        deps.log.warn({ err: error, userId, conversationId }, 'subscription ended: membership could not be checked');
        await queue.return();
        throw unavailable('membership in this conversation could not be checked: subscribe again in a moment');
      }
    };
    const iterator: AsyncIterableIterator<LiveEvent> = {
      async next() {
        for (;;) {
          const item = await queue.next();
          if (item.done) return item;
          // Answered from the membership cache without a promise when it can be (every event of every subscriber asks).
          const { conversationId } = item.value;
          if (deps.membership.isMemberNow(conversationId, userId) ?? (await checkMember(conversationId))) return item;
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

/** The subscriber's member list; a users subgraph that cannot list it ends the subscription with an error (subscribe again). */
async function watchMemberLists(deps: SubscriptionDeps, userId: string): Promise<ConversationFilter> {
  try {
    return await deps.memberLists.watch(userId);
  } catch (error) {
    deps.log.warn({ err: error, userId }, "myEvents: the subscriber's conversations could not be listed");
    throw unavailable('the conversations you belong to could not be listed: subscribe again in a moment');
  }
}
