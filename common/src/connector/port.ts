import type { IncomingHttpHeaders } from 'node:http';
import type { Channel, MessageStatus } from '../contracts/events';

/**
 * The one interface every channel connector implements. A connector knows its platform's API and webhook shapes and
 * nothing else: consuming the outbound topic, retries, the circuit breaker, replay protection and publishing status
 * events are the runtime's (`./runtime.ts`), so a third channel is one new folder with one class.
 */
export interface ChannelConnector {
  readonly channel: Channel;
  /**
   * Whether the platform's status webhooks carry back the send's `metadata` (then `StatusUpdate.ref` is set). When they
   * do not, the runtime keeps platform message id → our ids in a `PlatformMessageRefs` store at send time.
   */
  readonly echoesMetadata: boolean;
  /** Whether `sendFile` delivers `caption` with the file; when not, the runtime sends the caption as its own text. */
  readonly fileCaptions: boolean;
  /** Sends a text; resolves with the platform's message id. Failures reject with `PlatformError`. */
  sendText(to: string, text: string, ctx: SendContext): Promise<string>;
  /** Sends a file by its (expiring) URL, as media messages work on WhatsApp; resolves with the platform's message id. */
  sendFile(to: string, file: OutboundFile, ctx: SendContext): Promise<string>;
  /**
   * Verifies a webhook call (signature over the raw body) and returns the status updates it carries, in body order.
   * Throws `WebhookRejectedError` for an unsigned, forged or malformed call. Events that are not message statuses
   * (e.g. inbound messages) are skipped: an empty array is a valid answer.
   */
  parseWebhook(rawBody: Buffer, headers: IncomingHttpHeaders): StatusUpdate[];
  /** The subscription handshake (`GET /webhook?hub.challenge=…`): the text to answer with, or null to refuse. */
  verifySubscription?(query: URLSearchParams): string | null;
}

/** Our ids for one platform message. */
export interface MessageRef {
  messageId: string;
  conversationId: string;
}

export interface SendContext extends MessageRef {
  /**
   * Opaque text for the platform's metadata field (`biz_opaque_callback_data`, `metadata`). It names our message and the
   * part of it, so it is unique per platform request: the platform echoes it in webhooks, and the simulator treats it as
   * the idempotency key (a redelivered outbound event gets the same platform message id, and no second webhook series).
   */
  metadata: string;
}

export interface OutboundFile {
  url: string;
  filename: string;
  contentType: string;
  caption?: string;
}

/** The statuses a platform reports. SENT is ours alone (accepted, not yet routed). */
export type PlatformStatus = Extract<MessageStatus, 'DELIVERED' | 'READ' | 'FAILED'>;

export interface StatusUpdate {
  platformMessageId: string;
  status: PlatformStatus;
  /** When the platform says it happened (ISO 8601, UTC). */
  at: string;
  /** Why it FAILED, from the platform's error. */
  reason?: string;
  /** Stable across deliveries of the same event, for replay detection (e.g. `<platform id>:<status>`). */
  eventId: string;
  /** Our ids, when the platform echoed the send's metadata. */
  ref?: MessageRef;
}
