import type { ListOptions, Message, MessagePage, MessageStatus, NewMessage } from './types';

export type { ListOptions, Message, MessagePage, MessageStatus, NewMessage };

/**
 * Where messages and their delivery status live. Every write is idempotent, so the event consumers that call it can
 * retry and be redelivered freely.
 */
export interface MessageStore {
  /** Stores a new message with status SENT at `createdAt`. Inserting the same message again changes nothing. */
  insert(message: NewMessage): Promise<void>;

  /**
   * The message, or null when no message has this id (including ids that are not message ids at all). A caller that
   * knows the message's conversation (a consumer of its events) passes it: the message is read where it lives, with
   * no id lookup first; a message of another conversation then reads as null.
   */
  get(id: string, conversationId?: string): Promise<Message | null>;

  /** One entry per requested id, in the same order, null where absent (the shape a DataLoader wants). */
  getMany(ids: readonly string[]): Promise<(Message | null)[]>;

  /**
   * A conversation's messages newest first. `after` is a previous page's `endCursor`; messages stored since that page
   * was read do not shift the following pages. Throws InvalidPageSizeError / InvalidCursorError on bad options.
   */
  listByConversation(conversationId: string, options?: ListOptions): Promise<MessagePage>;

  /**
   * Records a status event. Returns true when it moved the status forward, false when it was late, repeated, or came
   * after a final status (READ, FAILED); such events change nothing, not even the time kept for a transition.
   * `conversationId` must be the message's own (it locates the partition without an extra read).
   */
  recordStatus(id: string, conversationId: string, status: MessageStatus, at: Date, reason?: string): Promise<boolean>;

  /** The message a sender created with this client message id, or null. */
  findByClientMessageId(senderId: string, clientMessageId: string): Promise<Message | null>;

  close(): Promise<void>;
}
