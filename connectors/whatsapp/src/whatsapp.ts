import type { IncomingHttpHeaders } from 'node:http';
import {
  isObject,
  list,
  type Json,
  PlatformError,
  WebhookRejectedError,
  decodeRefMetadata,
  graphPost,
  isoFromUnix,
  subscriptionChallenge,
  verifiedJson,
  type ChannelConnector,
  type GraphClientOptions,
  type OutboundFile,
  type PlatformStatus,
  type SendContext,
  type StatusUpdate,
} from '@chat4all/common';

export interface WhatsAppOptions extends GraphClientOptions {
  phoneNumberId: string;
  appSecret: string;
  verifyToken?: string;
}

/** WhatsApp's message statuses → ours. `sent` (reached WhatsApp's servers) and others say nothing new: null. */
export function mapWhatsAppStatus(status: string): PlatformStatus | null {
  switch (status) {
    case 'delivered':
      return 'DELIVERED';
    case 'read':
      return 'READ';
    case 'failed':
      return 'FAILED';
    default:
      return null;
  }
}

/** Image types the Cloud API sends as `image` (with a preview); anything else goes as a `document`. */
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png']);


/**
 * WhatsApp Cloud API: `POST /{version}/{phone-number-id}/messages`. Our ids travel in `biz_opaque_callback_data`,
 * which WhatsApp returns in every status webhook, so no id map is needed.
 */
export class WhatsAppConnector implements ChannelConnector {
  readonly channel = 'WHATSAPP' as const;
  readonly echoesMetadata = true;
  readonly fileCaptions = true;

  constructor(private readonly options: WhatsAppOptions) {}

  sendText(to: string, text: string, ctx: SendContext): Promise<string> {
    return this.send(to, { type: 'text', text: { preview_url: false, body: text } }, ctx);
  }

  sendFile(to: string, file: OutboundFile, ctx: SendContext): Promise<string> {
    const caption = file.caption === undefined ? {} : { caption: file.caption };
    if (IMAGE_TYPES.has(file.contentType)) return this.send(to, { type: 'image', image: { link: file.url, ...caption } }, ctx);
    return this.send(to, { type: 'document', document: { link: file.url, filename: file.filename, ...caption } }, ctx);
  }

  parseWebhook(rawBody: Buffer, headers: IncomingHttpHeaders): StatusUpdate[] {
    const body = verifiedJson(this.options.appSecret, rawBody, headers);
    if (!isObject(body) || body.object !== 'whatsapp_business_account' || !Array.isArray(body.entry)) {
      throw new WebhookRejectedError('malformed', 'not a whatsapp_business_account webhook');
    }
    const updates: StatusUpdate[] = [];
    for (const entry of list(body.entry)) {
      for (const change of list(isObject(entry) ? entry.changes : undefined)) {
        const value = isObject(change) && change.field === 'messages' && isObject(change.value) ? change.value : undefined;
        // Inbound messages arrive in the same field under `messages`; only `statuses` concern sent messages.
        for (const item of list(value?.statuses)) updates.push(...this.statusUpdate(item));
      }
    }
    return updates;
  }

  verifySubscription(query: URLSearchParams): string | null {
    return subscriptionChallenge(query, this.options.verifyToken);
  }

  private statusUpdate(item: unknown): StatusUpdate[] {
    if (!isObject(item) || typeof item.id !== 'string' || typeof item.status !== 'string') {
      throw new WebhookRejectedError('malformed', 'a status without id or status');
    }
    const status = mapWhatsAppStatus(item.status);
    if (status === null) return [];
    const at = isoFromUnix(item.timestamp, 's');
    if (at === null) throw new WebhookRejectedError('malformed', `status ${item.id} has no valid timestamp`);
    const update: StatusUpdate = { platformMessageId: item.id, status, at, eventId: `${item.id}:${item.status}` };
    const ref = decodeRefMetadata(item.biz_opaque_callback_data);
    if (ref) update.ref = ref;
    if (status === 'FAILED') {
      const errors = list(item.errors).filter(isObject);
      const reason = errors
        .map((e) => {
          const details = isObject(e.error_data) && typeof e.error_data.details === 'string' ? `: ${e.error_data.details}` : '';
          return `${String(e.title ?? e.message ?? 'error')} (code ${String(e.code)})${details}`;
        })
        .join('; ');
      update.reason = reason || 'WhatsApp reported the message as failed';
    }
    return [update];
  }

  private async send(to: string, content: Json, ctx: SendContext): Promise<string> {
    const answer = await graphPost(this.options, `${this.options.phoneNumberId}/messages`, {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to,
      ...content,
      biz_opaque_callback_data: ctx.metadata,
    });
    const first = isObject(answer) ? list(answer.messages)[0] : undefined;
    if (!isObject(first) || typeof first.id !== 'string') {
      // Retriable: the send may have happened, and its redelivery is answered idempotently (same metadata).
      throw new PlatformError('WhatsApp answered without a message id', true);
    }
    return first.id;
  }
}
