import type http from 'node:http';
import type { EventBus, OutgoingRecord } from '../bus/port';
import { encodeEvent, MessageStatusChanged, type Channel } from '../contracts/events';
import { TOPICS } from '../contracts/topics';
import type { Logger } from '../logging';
import { requestUrl, type RequestHandler } from '../service/http';
import { WebhookRejectedError, type WebhookRejection } from './errors';
import { BodyTooLargeError, readRawBody, sendJson, sendText } from './http';
import type { ConnectorMetrics } from './metrics';
import type { ChannelConnector, MessageRef, StatusUpdate } from './port';
import type { PlatformMessageRefs } from './refs';
import type { ReplayGuard } from './replay';

export const WEBHOOK_PATH = '/webhook';

export interface WebhookReceiverOptions {
  connector: ChannelConnector;
  refs?: PlatformMessageRefs;
  guard: ReplayGuard;
  /** The worker's (namespaced) bus: status events go to `messages.status` through it. */
  bus: EventBus;
  source: string;
  maxBodyBytes: number;
  metrics: ConnectorMetrics;
  log: Logger;
}

const REJECTION_STATUS: Record<WebhookRejection, number> = { unsigned: 401, forged: 403, malformed: 400 };

/**
 * The platform's status webhooks: `POST /webhook` (and the `GET /webhook` subscription handshake).
 *
 * 1. The connector verifies the signature over the raw body and parses it: unsigned → 401, forged → 403,
 *    malformed → 400, each counted in `webhook_rejected_total{reason}`.
 * 2. Each event passes the replay guard: one seen before (same event id) or stamped outside the window is dropped and
 *    counted (`replayed`, `stale`). A call whose events are all dropped that way is refused with 409.
 * 3. Each event is traced back to our message: from the echoed metadata, or else from the refs store. A platform id
 *    the store does not know yet (its send is still being saved) answers 503, so the platform delivers it again; the
 *    body's other events are published first and taken (its redelivery finds them replayed), so one unknown id does
 *    not hold them back. An id still unknown once the event is outside the replay window is dropped as stale.
 * 4. The statuses are published to `messages.status`, keyed by conversation id, in body order; only then does the
 *    platform get its 200. A failed publish releases the events' ids (503: deliver again).
 */
export class WebhookReceiver {
  private readonly channel: Channel;

  constructor(private readonly options: WebhookReceiverOptions) {
    this.channel = options.connector.channel;
  }

  readonly handler: RequestHandler = (req, res) => {
    const url = requestUrl(req);
    if (url === null) return sendJson(res, 400, { error: 'the request target is not a URL path' });
    if (url.pathname !== WEBHOOK_PATH) return sendJson(res, 404, { error: 'not found' });
    if (req.method === 'GET') return this.handshake(url.searchParams, res);
    if (req.method !== 'POST') {
      res.setHeader('allow', 'GET, POST');
      return sendJson(res, 405, { error: 'method not allowed' });
    }
    this.receive(req).then(
      ({ status, body }) => sendJson(res, status, body),
      (error: unknown) => {
        this.options.log.error({ err: error }, 'webhook handling failed');
        if (!res.headersSent) sendJson(res, 503, { error: 'try again' });
      },
    );
  };

  private handshake(query: URLSearchParams, res: http.ServerResponse): void {
    const challenge = this.options.connector.verifySubscription?.(query) ?? null;
    if (challenge === null) {
      this.options.metrics.webhookRejected.inc({ reason: 'verify_token' });
      return sendJson(res, 403, { error: 'verification failed' });
    }
    sendText(res, 200, challenge);
  }

  private async receive(req: http.IncomingMessage): Promise<{ status: number; body: unknown }> {
    const { connector, guard, metrics, log } = this.options;
    let raw: Buffer;
    try {
      raw = await readRawBody(req, this.options.maxBodyBytes);
    } catch (error) {
      if (!(error instanceof BodyTooLargeError)) throw error;
      return this.reject('too_large', 413, error.message);
    }
    let updates: StatusUpdate[];
    try {
      updates = connector.parseWebhook(raw, req.headers);
    } catch (error) {
      if (!(error instanceof WebhookRejectedError)) throw error;
      return this.reject(error.reason, REJECTION_STATUS[error.reason], error.message);
    }

    const fresh: StatusUpdate[] = [];
    let refused = 0;
    let inFlight = 0;
    const inBody = new Set<string>();
    for (const update of updates) {
      // The same event twice in one body is one event (its second copy is no delivery still being handled).
      if (inBody.has(update.eventId)) continue;
      inBody.add(update.eventId);
      const verdict = guard.reserve(update.eventId, new Date(update.at));
      if (verdict === 'new') {
        fresh.push(update);
      } else if (verdict === 'in_flight') {
        inFlight += 1;
      } else {
        refused += 1;
        metrics.webhookRejected.inc({ reason: verdict });
        log.warn({ eventId: update.eventId, at: update.at, verdict }, 'webhook event refused');
      }
    }
    const release = () => fresh.forEach((u) => guard.release(u.eventId));
    if (inFlight > 0) {
      // A redelivery that overtook the first delivery (which may still fail): nothing of this body is taken now, and
      // the platform delivers it again (a refusal would make it stop, and lose the event if the first then fails).
      release();
      metrics.webhookRejected.inc({ reason: 'in_flight' }, inFlight);
      log.info({ inFlight }, 'webhook events still being handled from an earlier delivery; asking for redelivery');
      return { status: 503, body: { error: 'events of this delivery are still being handled; deliver again later' } };
    }
    if (fresh.length === 0 && refused > 0) return { status: 409, body: { error: 'events already received or outside the time window' } };

    let traced: { update: StatusUpdate; ref: MessageRef }[];
    let unknown: StatusUpdate[];
    try {
      ({ traced, unknown } = await this.trace(fresh));
    } catch (error) {
      release();
      throw error;
    }
    const unknownIds = new Set(unknown.map((u) => u.eventId));
    const askAgain = () => {
      unknown.forEach((u) => guard.release(u.eventId));
      log.info({ platformMessageIds: unknown.map((u) => u.platformMessageId) }, 'webhook names messages whose send is not recorded yet; asking for redelivery');
      return { status: 503, body: { error: 'unknown message id; deliver again later' } };
    };
    if (traced.length === 0 && unknown.length > 0) {
      release();
      return askAgain();
    }

    // Any failure from here on gives the reservations back, so the platform's redelivery is taken, not refused as a replay.
    try {
      const records: OutgoingRecord[] = traced.map(({ update, ref }) => ({
        key: ref.conversationId,
        value: encodeEvent(MessageStatusChanged, {
          version: 1,
          messageId: ref.messageId,
          conversationId: ref.conversationId,
          status: update.status,
          at: update.at,
          ...(update.reason === undefined ? {} : { reason: update.reason.slice(0, 1000) }),
          channel: this.channel,
          source: this.options.source,
        }),
      }));
      await this.options.bus.publish(TOPICS.messagesStatus, records);
    } catch (error) {
      release();
      throw error;
    }
    for (const update of fresh) if (!unknownIds.has(update.eventId)) guard.confirm(update.eventId);
    for (const { update, ref } of traced) {
      metrics.webhookStatuses.inc({ channel: this.channel, status: update.status });
      log.info({ messageId: ref.messageId, conversationId: ref.conversationId, status: update.status, platformMessageId: update.platformMessageId }, 'status from platform');
    }
    // The events traced are taken (a redelivery finds them replayed); only the unknown ones are asked for again.
    if (unknown.length > 0) return askAgain();
    return { status: 200, body: { received: traced.length } };
  }

  /**
   * Our ids for each event; events about messages that are not ours are counted and left out, and those whose
   * platform id the refs store does not know (yet: its send is still being saved) are `unknown`.
   */
  private async trace(updates: StatusUpdate[]): Promise<{ traced: { update: StatusUpdate; ref: MessageRef }[]; unknown: StatusUpdate[] }> {
    const { refs, connector, metrics, log } = this.options;
    const traced: { update: StatusUpdate; ref: MessageRef }[] = [];
    const unknown: StatusUpdate[] = [];
    for (const update of updates) {
      let ref = update.ref ?? null;
      if (ref === null && !connector.echoesMetadata && refs) {
        ref = await refs.find(this.channel, update.platformMessageId);
        if (ref === null) {
          unknown.push(update);
          continue;
        }
      }
      if (ref === null) {
        // The platform echoes our metadata on every message we send: one without it was sent by someone else.
        metrics.webhookUnmatched.inc({ channel: this.channel });
        log.warn({ platformMessageId: update.platformMessageId }, 'webhook event for a message this system did not send');
        continue;
      }
      traced.push({ update, ref });
    }
    return { traced, unknown };
  }

  private reject(reason: string, status: number, detail: string): { status: number; body: unknown } {
    this.options.metrics.webhookRejected.inc({ reason });
    this.options.log.warn({ reason, status, detail }, 'webhook call refused');
    return { status, body: { error: detail } };
  }
}
