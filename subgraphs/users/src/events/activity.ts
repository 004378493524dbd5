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
import type { UserRepository } from '../store/port';

/** The consumer group that keeps `lastActivityAt` current; `npm run migrate` creates its dead-letter topic. */
export const USERS_ACTIVITY_GROUP = CONSUMER_GROUPS.usersActivity;

/** The topics this consumer reads and the one it dead-letters to. */
export const activityTopics = {
  consumes: [TOPICS.messagesAccepted],
  deadLetter: deadLetterTopic(USERS_ACTIVITY_GROUP),
} as const;

/**
 * Moves the conversation's `lastActivityAt` to the accepted message's time. The store only ever moves it forward, so
 * a redelivered or late event changes nothing: at-least-once delivery is harmless. An undecodable record throws
 * `PoisonEventError` (the bus dead-letters it); a conversation this store does not know is skipped.
 */
export function activityHandler(repository: UserRepository, log: Logger): RecordHandler {
  return async (record) => {
    const event = decodeEvent(MessageAccepted, record.value);
    const moved = await repository.touchConversation(event.conversationId, new Date(event.createdAt));
    log.debug({ conversationId: event.conversationId, messageId: event.messageId, moved }, 'conversation activity');
  };
}

export interface ActivityConsumerOptions {
  bus: EventBus;
  repository: UserRepository;
  log: Logger;
  /** Concurrent partitions (per-conversation order holds at any value; touches commute anyway). */
  concurrency?: number;
  retry?: SubscribeOptions['retry'];
  /** Defaults to `users-activity`; tests running beside a live service use a group of their own. */
  groupId?: string;
}

/** Joins `users-activity` on `messages.accepted`; resolves once consuming. `stop()` the result on shutdown. */
export function startActivityConsumer(options: ActivityConsumerOptions): Promise<Subscription> {
  const { bus, repository, log, concurrency = 2, retry, groupId = USERS_ACTIVITY_GROUP } = options;
  return bus.subscribe({
    groupId,
    topics: activityTopics.consumes,
    // A new group starts at the oldest record: replaying history only moves times forward to where they belong.
    fromBeginning: true,
    concurrency,
    ...(retry ? { retry } : {}),
    handler: activityHandler(repository, log.child({ component: 'activity' })),
  });
}
