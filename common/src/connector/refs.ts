import { z } from 'zod';
import { EntityId, MessageId, type Channel } from '../contracts/events';
import type { MessageRef } from './port';

/**
 * Where a platform message id leads back to our message, for platforms whose status webhooks do not echo the send's
 * metadata (Instagram's read receipts carry only the platform's message id). Written after each successful send,
 * read by the webhook handler; must survive restarts, since webhooks arrive after the send that produced the id.
 */
export interface PlatformMessageRefs {
  /** Idempotent: saving the same id again (a redelivered send) is harmless. */
  save(channel: Channel, platformMessageId: string, ref: MessageRef): Promise<void>;
  find(channel: Channel, platformMessageId: string): Promise<MessageRef | null>;
  /** For /readyz: what is not answering (empty = ready). */
  ping?(): Promise<string[]>;
  close(): Promise<void>;
}

// Our ids as the status event carries them: metadata that does not fit is not ours (a signed body can still hold it),
// and is treated like a message this system did not send rather than failing the webhook's other statuses.
const RefMetadata = z.object({ m: MessageId, c: EntityId, p: z.string().min(1).optional() });

/**
 * The metadata sent with each platform request: compact JSON naming our message, its conversation and the part of it
 * (`file`, `text`), so each platform request of a message has its own idempotency key. Well under WhatsApp's
 * 512-character limit for `biz_opaque_callback_data` (ids are at most 200 characters).
 */
export function encodeRefMetadata(ref: MessageRef, part: string): string {
  return JSON.stringify({ m: ref.messageId, c: ref.conversationId, p: part });
}

/** Our ids from echoed metadata, or undefined when it is absent or not ours. */
export function decodeRefMetadata(metadata: unknown): MessageRef | undefined {
  if (typeof metadata !== 'string') return undefined;
  try {
    const parsed = RefMetadata.safeParse(JSON.parse(metadata));
    return parsed.success ? { messageId: parsed.data.m, conversationId: parsed.data.c } : undefined;
  } catch {
    return undefined;
  }
}
