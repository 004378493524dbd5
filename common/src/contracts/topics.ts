import type { Channel } from './events';

/**
 * Topic names, defined once. Records are keyed by conversation id wherever order matters, so one conversation's
 * events stay in one partition and arrive in order.
 */
export const TOPICS = {
  /** MessageAccepted: the API accepted a send. */
  messagesAccepted: 'messages.accepted',
  /** MessageStatusChanged: DELIVERED from the router, READ / FAILED from the connectors. */
  messagesStatus: 'messages.status',
  /** ConversationMembersChanged: the users subgraph added or removed a member; membership caches listen. */
  conversationMembers: 'conversations.members',
} as const;

/** MessageOutbound, one topic per channel so each connector reads only its own traffic. */
export const OUTBOUND_TOPICS: Readonly<Record<Channel, string>> = {
  WHATSAPP: 'messages.outbound.whatsapp',
  INSTAGRAM: 'messages.outbound.instagram',
};

export function outboundTopic(channel: Channel): string {
  return OUTBOUND_TOPICS[channel];
}

/** The platform's consumer groups; each has its own dead-letter topic. */
export const CONSUMER_GROUPS = {
  router: 'router',
  connectorWhatsapp: 'connector-whatsapp',
  connectorInstagram: 'connector-instagram',
  statusPersister: 'status-persister',
  usersActivity: 'users-activity',
} as const;
export type ConsumerGroup = (typeof CONSUMER_GROUPS)[keyof typeof CONSUMER_GROUPS];

const CONNECTOR_GROUPS: Readonly<Record<Channel, ConsumerGroup>> = {
  WHATSAPP: CONSUMER_GROUPS.connectorWhatsapp,
  INSTAGRAM: CONSUMER_GROUPS.connectorInstagram,
};

export function connectorGroup(channel: Channel): ConsumerGroup {
  return CONNECTOR_GROUPS[channel];
}

/** Where a group's undecodable records go (see `bus/port.ts`), so one bad record never blocks a partition. */
export function deadLetterTopic(groupId: string): string {
  return `dlq.${groupId}`;
}

/** Every topic the platform needs; `migrateKafka` creates exactly these. */
export const PLATFORM_TOPICS: readonly string[] = [
  TOPICS.messagesAccepted,
  ...Object.values(OUTBOUND_TOPICS),
  TOPICS.messagesStatus,
  TOPICS.conversationMembers,
  ...Object.values(CONSUMER_GROUPS).map(deadLetterTopic),
];
