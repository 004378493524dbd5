import { z } from 'zod';
import { isUuidV7 } from '../ids';

/**
 * The events that cross the bus, defined once. Every event carries `version`; a consumer that meets a version it does
 * not know treats the record as poison (dead-letters it) instead of guessing. A new optional field keeps the version;
 * a change that breaks old readers needs a new one. Unknown fields are dropped on decode, so older readers keep working
 * when a newer writer adds an optional field.
 */
export const EVENT_VERSION = 1 as const;
const Version = z.literal(EVENT_VERSION);

export const Channel = z.enum(['WHATSAPP', 'INSTAGRAM']);
export type Channel = z.infer<typeof Channel>;
export const CHANNELS: readonly Channel[] = Channel.options;

export const MessageStatus = z.enum(['SENT', 'DELIVERED', 'READ', 'FAILED']);
export type MessageStatus = z.infer<typeof MessageStatus>;
export const MESSAGE_STATUSES: readonly MessageStatus[] = MessageStatus.options;

const STATUS_RANK: Record<MessageStatus, number> = { SENT: 0, DELIVERED: 1, READ: 2, FAILED: 3 };

/** Position in SENT < DELIVERED < READ; FAILED ranks last because nothing follows it. */
export function statusRank(status: MessageStatus): number {
  return STATUS_RANK[status];
}

/** READ and FAILED end a message's life: no later event changes them. */
export function isFinalStatus(status: MessageStatus): boolean {
  return status === 'READ' || status === 'FAILED';
}

/**
 * Whether a message at `current` (null: nothing recorded yet) moves to `next`. Statuses only move forward; FAILED ends
 * it from any state that is not final; a repeated status is not a move. Late and duplicate events therefore change
 * nothing, which is what makes at-least-once delivery safe for status updates.
 */
export function canAdvanceStatus(current: MessageStatus | null, next: MessageStatus): boolean {
  if (current === null) return true;
  if (isFinalStatus(current)) return false;
  if (next === 'FAILED') return true;
  return STATUS_RANK[next] > STATUS_RANK[current];
}

/** Lower-case UUIDv7 (`newUuidV7`): the text sorts in creation-time order, which the message store's paging relies on. */
export const MessageId = z.string().refine(isUuidV7, 'a time-ordered message id (lower-case UUIDv7) expected');

/** Longest id (conversation, user, file, client message id) an event carries. */
export const EVENT_ID_MAX = 200;
/** A conversation, user, file or client message id as events carry it. */
export const EntityId = z.string().min(1).max(EVENT_ID_MAX);
/** UTC with a `Z`, as `Date.prototype.toISOString()` writes it, so timestamps compare as text too. */
const Timestamp = z.iso.datetime();

const messageFields = {
  messageId: MessageId,
  conversationId: EntityId,
  senderId: EntityId,
  /** The sender's own id for the send; makes retried sends idempotent. */
  clientMessageId: EntityId.optional(),
  content: z.string().optional(),
  fileId: EntityId.optional(),
  createdAt: Timestamp,
};
const hasBody = (m: { content?: string | undefined; fileId?: string | undefined }) => m.content !== undefined || m.fileId !== undefined;
const needsBody = { message: 'a message needs content, a file, or both', path: ['content'] };

/** A message as it travels between services (the store adds its status). */
export const Message = z.object(messageFields).refine(hasBody, needsBody);
export type Message = z.infer<typeof Message>;

/** Published on `messages.accepted` once the API has accepted a send: the message itself, versioned. */
export const MessageAccepted = z.object({ version: Version, ...messageFields }).refine(hasBody, needsBody);
export type MessageAccepted = z.infer<typeof MessageAccepted>;

/** Published on `messages.outbound.<channel>` by the router, one per channel the message must reach. */
export const MessageOutbound = z.object({ version: Version, message: Message, channel: Channel });
export type MessageOutbound = z.infer<typeof MessageOutbound>;

/** Published on `messages.status` by whoever observed the change (router, connectors, platform webhooks). */
export const MessageStatusChanged = z.object({
  version: Version,
  messageId: MessageId,
  conversationId: EntityId,
  status: MessageStatus,
  at: Timestamp,
  /** Why it FAILED, in words a person can act on. */
  reason: z.string().max(1000).optional(),
  channel: Channel.optional(),
  /** The service that observed the change, e.g. `router`, `connector-whatsapp`. */
  source: z.string().min(1).max(100),
});
export type MessageStatusChanged = z.infer<typeof MessageStatusChanged>;

export const MembershipChange = z.enum(['ADDED', 'REMOVED']);
export type MembershipChange = z.infer<typeof MembershipChange>;

/**
 * Published on `conversations.members` by the users subgraph once a member was added to or removed from a
 * conversation (also when the call changed nothing, so a retried call announces again). Caches of who belongs where
 * (the messages subgraph's, the gateway's) drop their answer for the conversation when it arrives.
 */
export const ConversationMembersChanged = z.object({
  version: Version,
  conversationId: EntityId,
  userId: EntityId,
  change: MembershipChange,
  at: Timestamp,
});
export type ConversationMembersChanged = z.infer<typeof ConversationMembersChanged>;

/** An event that failed validation before it was published: a bug in the publisher, never sent. */
export class InvalidEventError extends Error {
  constructor(
    readonly issues: z.core.$ZodIssue[],
    message: string,
  ) {
    super(`invalid event: ${message}`);
    this.name = 'InvalidEventError';
  }
}

/**
 * A record that can never be decoded (not JSON, wrong shape, unknown version). Retrying it cannot help, so the bus
 * dead-letters the record when a handler throws this error (see `bus/port.ts`). `raw` holds the record's exact bytes.
 */
export class PoisonEventError extends Error {
  constructor(
    readonly raw: Buffer,
    readonly reason: string,
  ) {
    super(`undecodable event: ${reason}`);
    this.name = 'PoisonEventError';
  }
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.map(String).join('.') : '(event)'}: ${i.message}`).join('; ');
}

/** Validates and serialises an event as UTF-8 JSON. Throws `InvalidEventError` rather than publish a bad event. */
export function encodeEvent<S extends z.ZodType>(schema: S, event: z.input<S>): Buffer {
  const result = schema.safeParse(event);
  if (!result.success) throw new InvalidEventError(result.error.issues, describeIssues(result.error));
  return Buffer.from(JSON.stringify(result.data), 'utf8');
}

/** Parses and validates a record's value. Anything that does not fit the schema is a `PoisonEventError`. */
export function decodeEvent<S extends z.ZodType>(schema: S, value: Buffer | string): z.output<S> {
  const raw = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw new PoisonEventError(raw, `not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const result = schema.safeParse(json);
  if (!result.success) throw new PoisonEventError(raw, describeIssues(result.error));
  return result.data;
}
