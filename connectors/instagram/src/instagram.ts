import type { IncomingHttpHeaders } from 'node:http';
import {
  isObject,
  list,
  type Json,
  PlatformError,
  WebhookRejectedError,
  graphPost,
  isoFromUnix,
  subscriptionChallenge,
  verifiedJson,
  type ChannelConnector,
  type GraphClientOptions,
  type OutboundFile,
  type SendContext,
  type StatusUpdate,
} from '@chat4all/common';

export interface InstagramOptions extends GraphClientOptions {
  /** The Instagram professional account that sends (`POST /{ig-user-id}/messages`). */
  accountId: string;
  appSecret: string;
  verifyToken?: string;
}

/** Send API attachment types by content type; anything not image, video or audio goes as `file`. */
export function attachmentType(contentType: string): 'image' | 'video' | 'audio' | 'file' {
  const family = contentType.split('/')[0];
  return family === 'image' || family === 'video' || family === 'audio' ? family : 'file';
}


/**
 * Instagram messaging (Send API): `POST /{version}/{ig-user-id}/messages`. Its webhooks report `delivery` (mids) and
 * `read` (mid) receipts, mapped to DELIVERED and READ; failures come back synchronously from the Send API only. The
 * receipts do not carry the send's `metadata`, so the runtime keeps the mid → message map (`echoesMetadata: false`).
 * Attachments take no caption: the runtime sends a file's caption as a text of its own.
 */
export class InstagramConnector implements ChannelConnector {
  readonly channel = 'INSTAGRAM' as const;
  readonly echoesMetadata = false;
  readonly fileCaptions = false;

  constructor(private readonly options: InstagramOptions) {}

  sendText(to: string, text: string, ctx: SendContext): Promise<string> {
    return this.send(to, { text }, ctx);
  }

  sendFile(to: string, file: OutboundFile, ctx: SendContext): Promise<string> {
    return this.send(to, { attachment: { type: attachmentType(file.contentType), payload: { url: file.url } } }, ctx);
  }

  parseWebhook(rawBody: Buffer, headers: IncomingHttpHeaders): StatusUpdate[] {
    const body = verifiedJson(this.options.appSecret, rawBody, headers);
    if (!isObject(body) || body.object !== 'instagram' || !Array.isArray(body.entry)) {
      throw new WebhookRejectedError('malformed', 'not an instagram webhook');
    }
    const updates: StatusUpdate[] = [];
    for (const entry of list(body.entry)) {
      for (const event of list(isObject(entry) ? entry.messaging : undefined)) {
        if (!isObject(event)) throw new WebhookRejectedError('malformed', 'a messaging event that is not an object');
        updates.push(...this.receipts(event));
      }
    }
    return updates;
  }

  verifySubscription(query: URLSearchParams): string | null {
    return subscriptionChallenge(query, this.options.verifyToken);
  }

  /** Delivery and read receipts; other events (inbound messages, reactions, echoes) carry no status: none. */
  private receipts(event: Json): StatusUpdate[] {
    const mids: { mid: unknown; status: 'DELIVERED' | 'READ' }[] = [];
    if (isObject(event.delivery)) for (const mid of list(event.delivery.mids)) mids.push({ mid, status: 'DELIVERED' });
    if (isObject(event.read)) mids.push({ mid: event.read.mid, status: 'READ' });
    if (mids.length === 0) return [];
    const at = isoFromUnix(event.timestamp, 'ms');
    if (at === null) throw new WebhookRejectedError('malformed', 'a receipt without a valid timestamp');
    return mids.map(({ mid, status }) => {
      if (typeof mid !== 'string' || mid === '') throw new WebhookRejectedError('malformed', 'a receipt without a mid');
      return { platformMessageId: mid, status, at, eventId: `${mid}:${status}` };
    });
  }

  private async send(to: string, message: Json, ctx: SendContext): Promise<string> {
    const answer = await graphPost(this.options, `${this.options.accountId}/messages`, {
      recipient: { id: to },
      // The Send API takes `metadata` inside `message` (as Messenger's does), up to 1000 characters.
      message: { ...message, metadata: ctx.metadata },
    });
    if (!isObject(answer) || typeof answer.message_id !== 'string') {
      // Retriable: the send may have happened, and its redelivery is answered idempotently (same metadata).
      throw new PlatformError('Instagram answered without a message_id', true);
    }
    return answer.message_id;
  }
}
