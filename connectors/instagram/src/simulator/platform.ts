import { isObject, randomBytes, type Json, type Random, type SimulatedPlatform, type SimulatedSend, type StatusEvent } from '@chat4all/common';

const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const ATTACHMENT_TYPES = new Set(['image', 'video', 'audio', 'file']);

/** What a Send API `message` holds (text or one attachment), or why it is invalid. */
function messageKind(message: Json): string | { invalid: string } {
  if (message.text !== undefined) return nonEmpty(message.text) ? 'text' : { invalid: 'message.text must be a non-empty string' };
  const attachment = message.attachment;
  if (!isObject(attachment)) return { invalid: 'message needs text or attachment' };
  if (typeof attachment.type !== 'string' || !ATTACHMENT_TYPES.has(attachment.type)) return { invalid: 'attachment.type must be image, video, audio or file' };
  if (!isObject(attachment.payload) || !nonEmpty(attachment.payload.url)) return { invalid: 'attachment.payload.url is required' };
  return attachment.type;
}

/** Instagram messaging shapes: Send API requests and answers, `delivery` / `read` receipts by webhook. */
export function instagramPlatform(options: { apiVersion: string; accountId: string }): SimulatedPlatform {
  return {
    name: 'instagram',
    apiVersion: options.apiVersion,
    accountId: options.accountId,
    asyncFailures: false,
    parseSend(body: unknown): SimulatedSend | { invalid: string } {
      if (!isObject(body) || !isObject(body.recipient) || !nonEmpty(body.recipient.id)) return { invalid: 'recipient.id is required' };
      if (!isObject(body.message)) return { invalid: 'message is required' };
      const kind = messageKind(body.message);
      if (typeof kind !== 'string') return kind;
      const metadata = body.message.metadata;
      if (metadata !== undefined && (typeof metadata !== 'string' || metadata.length > 1000)) {
        return { invalid: 'message.metadata must be a string of at most 1000 characters' };
      }
      const attachment = body.message.attachment;
      const link = isObject(attachment) && isObject(attachment.payload) && nonEmpty(attachment.payload.url) ? { link: attachment.payload.url } : {};
      return { recipient: body.recipient.id, kind, ...link, ...(metadata === undefined ? {} : { metadata }) };
    },
    // Instagram mids are long base64 strings; this keeps their look.
    newMessageId: (random: Random) => `aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlE${randomBytes(random, 24).toString('base64url')}`,
    sendAnswer: (id: string, send: SimulatedSend) => ({ recipient_id: send.recipient, message_id: id }),
    statusWebhook(event: StatusEvent): unknown {
      const at = event.at.getTime();
      // Receipts come from the person who received the message (sender) to the business account (recipient).
      const receipt: Json = { sender: { id: event.send.recipient }, recipient: { id: options.accountId }, timestamp: at };
      if (event.status === 'delivered') receipt.delivery = { mids: [event.platformMessageId], watermark: at };
      else if (event.status === 'read') receipt.read = { mid: event.platformMessageId };
      else throw new Error('Instagram reports no failures by webhook');
      return { object: 'instagram', entry: [{ id: options.accountId, time: at, messaging: [receipt] }] };
    },
  };
}
