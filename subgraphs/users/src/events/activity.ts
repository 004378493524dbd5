import DataLoader from 'dataloader';
import {
  MessageAccepted,
  TOPICS,
  decodeEvent,
  deadLetterTopic,
  type EventBus,
  type Logger,
  type RecordHandler,
  type SubscribeOptions,
  type Subscription,
  CONSUMER_GROUPS,
} from '@chat4all/common';
import type { ConversationTouch, UserRepository } from '../store/port';

/** The consumer group that keeps `lastActivityAt` current; `npm run migrate` creates its dead-letter topic. */
export const USERS_ACTIVITY_GROUP = CONSUMER_GROUPS.usersActivity;

/** The topics this consumer reads and the one it dead-letters to. */
export const activityTopics = {
  consumes: [TOPICS.messagesAccepted],
  deadLetter: deadLetterTopic(USERS_ACTIVITY_GROUP),
} as const;

/** Most touches in one statement. */
const MAX_TOUCHES_PER_STATEMENT = 500;

/**
 * Moves the conversation's `lastActivityAt` to the accepted message's time. The store only ever moves it forward, so
 * a redelivered or late event changes nothing: at-least-once delivery is harmless. An undecodable record throws
 * `PoisonEventError` (the bus dead-letters it); a conversation this store does not know is skipped. The records
 * handled at the same time (partitions and keys side by side) share one statement, each resolving once it is applied
 * (a statement per accepted message was most of this consumer's cost, and of its database's).
 */
export function activityHandler(repository: Pick<UserRepository, 'touchConversations'>, log: Logger): RecordHandler {
  const touches = new DataLoader<ConversationTouch, void>(
    async (batch) => {
      const moved = await repository.touchConversations(batch);
      log.debug({ touches: batch.length, moved }, 'conversation activity');
      return batch.map(() => undefined);
    },
    { cache: false, maxBatchSize: MAX_TOUCHES_PER_STATEMENT },
  );
  return async (record) => {
    const event = decodeEvent(MessageAccepted, record.value);
    await touches.load({ conversationId: event.conversationId, at: new Date(event.createdAt) });
  };
}

export interface ActivityConsumerOptions {
  bus: EventBus;
  repository: UserRepository;
  log: Logger;
  /** Concurrent partitions (per-conversation order holds at any value; touches commute anyway). */
  concurrency?: number;
  /** Records of different conversations handled side by side within a partition, so that they share a statement. */
  keyConcurrency?: number;
  retry?: SubscribeOptions['retry'];
  /** Defaults to `users-activity`; tests running beside a live service use a group of their own. */
  groupId?: string;
}

/** Joins `users-activity` on `messages.accepted`; resolves once consuming. `stop()` the result on shutdown. */
export function startActivityConsumer(options: ActivityConsumerOptions): Promise<Subscription> {
  const { bus, repository, log, concurrency = 2, keyConcurrency = 32, retry, groupId = USERS_ACTIVITY_GROUP } = options;
  return bus.subscribe({
    groupId,
    topics: activityTopics.consumes,
    // A new group starts at the oldest record: replaying history only moves times forward to where they belong.
    fromBeginning: true,
    concurrency,
    keyConcurrency,
    ...(retry ? { retry } : {}),
    handler: activityHandler(repository, log.child({ component: 'activity' })),
  });
}
