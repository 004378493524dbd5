import type { EventBus, Reader } from '../bus/port';
import { ConversationMembersChanged, EVENT_VERSION, decodeEvent, encodeEvent, type MembershipChange } from '../contracts/events';
import { TOPICS } from '../contracts/topics';
import type { Logger } from '../logging';
import { sharedCounter, type MetricsRegistry } from '../service/metrics';

/** A member added to or removed from a conversation, as the users subgraph announces it. */
export interface MembershipChangeNotice {
  conversationId: string;
  userId: string;
  change: MembershipChange;
}

/**
 * Announces a membership change on `conversations.members`, keyed by conversation (one conversation's changes stay in
 * order). Resolves once the bus has the record durably; the caller reports a failure, as the caches that listen keep
 * the old answer until their TTL. Counted in `chat4all_membership_announcements_total{result}` when `metrics` is given.
 */
export async function announceMembershipChange(
  bus: Pick<EventBus, 'publish'>,
  notice: MembershipChangeNotice,
  options: { now?: Date; metrics?: MetricsRegistry } = {},
): Promise<void> {
  const counter = options.metrics && announcementsCounter(options.metrics);
  const value = encodeEvent(ConversationMembersChanged, { version: EVENT_VERSION, ...notice, at: (options.now ?? new Date()).toISOString() });
  try {
    await bus.publish(TOPICS.conversationMembers, [{ key: notice.conversationId, value }]);
  } catch (error) {
    counter?.inc({ result: 'failed' });
    throw error;
  }
  counter?.inc({ result: 'published' });
}

const announcementsCounter = (metrics: MetricsRegistry) =>
  sharedCounter(metrics, 'chat4all_membership_announcements_total', 'Membership changes announced on conversations.members, by result', ['result']);

const heardCounter = (metrics: MetricsRegistry) =>
  sharedCounter(metrics, 'chat4all_membership_changes_heard_total', 'Records of conversations.members read: applied, or skipped as undecodable', ['result']);

/**
 * Hands every membership change announced from now on to `onChange`, in a group-less reader (each instance of a
 * service hears every change; nothing is committed, as a cache starting up has nothing stale to drop). A record that
 * does not decode is logged and skipped: the caches' TTL still bounds how long the change it carried takes to apply.
 * Resolves once the reader is at the live edge, so a cache filled after that hears every later change. Counted in
 * `chat4all_membership_changes_heard_total{result}` when `metrics` is given.
 */
export function followMembershipChanges(
  bus: Pick<EventBus, 'read'>,
  onChange: (notice: MembershipChangeNotice) => void,
  options: { log: Logger; metrics?: MetricsRegistry },
): Promise<Reader> {
  const { log } = options;
  const counter = options.metrics && heardCounter(options.metrics);
  return bus.read({
    topic: TOPICS.conversationMembers,
    handler: async (record) => {
      let event: ConversationMembersChanged;
      try {
        event = decodeEvent(ConversationMembersChanged, record.value);
      } catch (error) {
        counter?.inc({ result: 'undecodable' });
        log.warn({ err: error, partition: record.partition, offset: record.offset }, 'membership change not decoded: skipped');
        return;
      }
      onChange({ conversationId: event.conversationId, userId: event.userId, change: event.change });
      counter?.inc({ result: 'applied' });
    },
  });
}
