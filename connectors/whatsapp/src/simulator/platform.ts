import { isObject, randomBytes, type Json, type Random, type SimulatedPlatform, type SimulatedSend, type StatusEvent } from '@chat4all/common';

const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/** The business account the simulated number belongs to (the webhook's `entry[].id`). */
export const SIMULATED_WABA_ID = '102290129340398';
const DISPLAY_PHONE_NUMBER = '15550000001';

/** Why a Cloud API send request is invalid, or null when it is valid. */
function invalidContent(body: Json): string | null {
  switch (body.type) {
    case 'text':
      return isObject(body.text) && nonEmpty(body.text.body) ? null : 'text.body is required';
    case 'image':
      return isObject(body.image) && nonEmpty(body.image.link) ? null : 'image.link is required';
    case 'document':
      return isObject(body.document) && nonEmpty(body.document.link) && nonEmpty(body.document.filename)
        ? null
        : 'document.link and document.filename are required';
    default:
      return `unsupported message type ${JSON.stringify(body.type)}`;
  }
}

/** WhatsApp Cloud API shapes: send requests, answers and `statuses` webhooks. */
export function whatsappPlatform(options: { apiVersion: string; phoneNumberId: string }): SimulatedPlatform {
  return {
    name: 'whatsapp',
    apiVersion: options.apiVersion,
    accountId: options.phoneNumberId,
    asyncFailures: true,
    parseSend(body: unknown): SimulatedSend | { invalid: string } {
      if (!isObject(body) || body.messaging_product !== 'whatsapp') return { invalid: 'messaging_product must be "whatsapp"' };
      if (!nonEmpty(body.to)) return { invalid: 'to is required' };
      const invalid = invalidContent(body);
      if (invalid !== null) return { invalid };
      const metadata = body.biz_opaque_callback_data;
      if (metadata !== undefined && (typeof metadata !== 'string' || metadata.length > 512)) {
        return { invalid: 'biz_opaque_callback_data must be a string of at most 512 characters' };
      }
      const media = body[String(body.type)];
      const link = isObject(media) && nonEmpty(media.link) ? { link: media.link } : {};
      return { recipient: body.to, kind: String(body.type), ...link, ...(metadata === undefined ? {} : { metadata }) };
    },
    newMessageId: (random: Random) => `wamid.${randomBytes(random, 30).toString('base64')}`,
    sendAnswer: (id: string, send: SimulatedSend) => ({
      messaging_product: 'whatsapp',
      contacts: [{ input: send.recipient, wa_id: send.recipient }],
      messages: [{ id }],
    }),
    statusWebhook(event: StatusEvent): unknown {
      const status: Json = {
        id: event.platformMessageId,
        status: event.status,
        timestamp: String(Math.floor(event.at.getTime() / 1000)),
        recipient_id: event.send.recipient,
      };
      if (event.send.metadata !== undefined) status.biz_opaque_callback_data = event.send.metadata;
      if (event.status !== 'failed') {
        status.conversation = { id: `conv-${event.send.recipient}`, origin: { type: 'service' } };
        status.pricing = { billable: true, pricing_model: 'CBP', category: 'service' };
      } else if (event.error) {
        status.errors = [{ code: event.error.code, title: event.error.title, message: event.error.title, error_data: { details: event.error.details } }];
      }
      return {
        object: 'whatsapp_business_account',
        entry: [
          {
            id: SIMULATED_WABA_ID,
            changes: [
              {
                field: 'messages',
                value: {
                  messaging_product: 'whatsapp',
                  metadata: { display_phone_number: DISPLAY_PHONE_NUMBER, phone_number_id: options.phoneNumberId },
                  statuses: [status],
                },
              },
            ],
          },
        ],
      };
    },
  };
}
