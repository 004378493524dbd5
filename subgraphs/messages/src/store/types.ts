import type { Channel, MessageStatus } from '@chat4all/common';

// Defined once in the event contracts (common/src/contracts/events.ts); re-exported for the store's users.
export { CHANNELS, MESSAGE_STATUSES } from '@chat4all/common';
export type { Channel, MessageStatus };

/** What a sender creates; the store adds the status (SENT at createdAt). */
export interface NewMessage {
  /** Time-ordered id from `newMessageId()`; the storage bucket is derived from it. */
  id: string;
  conversationId: string;
  senderId: string;
  content?: string;
  fileId?: string;
  channel?: Channel;
  /** The sender's own id for the send, used to make retried sends idempotent. */
  clientMessageId?: string;
  /** Normally the id's own time (`messageIdTime(id)`). */
  createdAt: Date;
}

export interface StatusTransition {
  status: MessageStatus;
  at: Date;
}

export interface Message extends NewMessage {
  status: MessageStatus;
  /** Each accepted transition once, oldest first, starting with SENT at createdAt. */
  statusHistory: StatusTransition[];
  /** Set when status is FAILED and the event carried a reason. */
  failureReason?: string;
}

export interface ListOptions {
  /** Page size, 1..MAX_PAGE_SIZE; DEFAULT_PAGE_SIZE when omitted. */
  first?: number;
  /** `endCursor` of the previous page. */
  after?: string | null;
}

export interface MessagePage {
  /** Newest first. */
  items: Message[];
  /** Cursor of the last item, null when the page is empty. */
  endCursor: string | null;
  hasNextPage: boolean;
}
