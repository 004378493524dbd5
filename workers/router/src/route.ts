import {
  EVENT_VERSION,
  MessageOutbound,
  MessageStatusChanged,
  TOPICS,
  encodeEvent,
  outboundTopic,
  type Channel,
  type EventBus,
  type HandlerContext,
  type MessageAccepted,
} from '@chat4all/common';
import { messageFromAccepted, type Message, type MessageStore } from '@chat4all/messages';
import { chooseChannel, type RoutingTable } from './rules';

/** Who observed SENT (stored) and DELIVERED (handed to its channel), as written in status events. */
export const ROUTER_SOURCE = 'router';

export interface RouterDependencies {
  store: MessageStore;
  /** The bus in the worker's namespace (contract topic names). */
  bus: EventBus;
  rules: RoutingTable;
  now?: () => Date;
}

function outboundEvent(event: MessageAccepted, channel: Channel): MessageOutbound {
  const { version: _version, ...message } = event;
  return { version: EVENT_VERSION, message, channel };
}

/** Status events are keyed by conversation, like every message event. */
function publishStatus(bus: EventBus, status: MessageStatusChanged): Promise<void> {
  return bus.publish(TOPICS.messagesStatus, [{ key: status.conversationId, value: encodeEvent(MessageStatusChanged, status) }]);
}

function deliveredAt(message: Message | null): Date | undefined {
  return message?.statusHistory.find((t) => t.status === 'DELIVERED')?.at;
}

/**
 * Routes one accepted message. In this order, so that a crash at any point is repaired by the redelivery:
 * 1. store the message with its channel (an idempotent upsert: the same row the messages subgraph writes, plus the
 *    channel, which a later write without one never clears);
 * 2. announce SENT on `messages.status` (at the message's creation time): the message is now stored, so a subscriber
 *    that reads `messages.status` alone sees each message's events in one ordered stream, the first when it can be read;
 * 3. hand it to its channel's outbound topic, keyed by conversation (order per conversation holds downstream);
 * 4. record DELIVERED (forward-only) and 5. emit the DELIVERED status event, with the time that was recorded.
 * The caller commits the record only after all five. A redelivered message that is already DELIVERED (or beyond) is
 * not handed to its channel again (its outbound event went out before DELIVERED was recorded). Its DELIVERED event is
 * emitted again while DELIVERED is its status (the first emission may have been lost in a crash; consumers of status
 * events ignore one they have), but not once it is READ or FAILED: that status's own event is out, and a consumer that
 * no longer remembers the message would show the late DELIVERED as a step back. The channel of a message stored with
 * one is kept, so a redelivery after a rule change goes where the first delivery went.
 */
export function createRouteHandler(deps: RouterDependencies): (event: MessageAccepted, context: HandlerContext) => Promise<void> {
  const now = deps.now ?? (() => new Date());
  return async (event, { log }) => {
    const { messageId, conversationId } = event;
    const existing = await deps.store.get(messageId, conversationId);
    const channel = existing?.channel ?? chooseChannel(deps.rules, event);

    let at = deliveredAt(existing);
    if (existing === null || existing.status === 'SENT') {
      await deps.store.insert({ ...messageFromAccepted(event), channel });
      await publishStatus(deps.bus, { version: EVENT_VERSION, messageId, conversationId, status: 'SENT', at: event.createdAt, channel, source: ROUTER_SOURCE });
      await deps.bus.publish(outboundTopic(channel), [{ key: conversationId, value: encodeEvent(MessageOutbound, outboundEvent(event, channel)) }]);
      const delivered = now();
      if (await deps.store.recordStatus(messageId, conversationId, 'DELIVERED', delivered)) {
        at = delivered;
      } else {
        // Another writer got there first (a redelivery racing this one, or a connector's FAILED): report what is stored.
        at = deliveredAt(await deps.store.get(messageId, conversationId));
      }
    }
    if (at === undefined || existing?.status === 'READ' || existing?.status === 'FAILED') {
      log.info({ channel, status: existing?.status }, 'message already final; no status event');
      return;
    }
    const status: MessageStatusChanged = { version: EVENT_VERSION, messageId, conversationId, status: 'DELIVERED', at: at.toISOString(), channel, source: ROUTER_SOURCE };
    await publishStatus(deps.bus, status);
    log.info({ channel, deliveredAt: status.at, redelivered: existing !== null && existing.status !== 'SENT' }, 'message routed');
  };
}
