import type { EventBus } from '../bus/port';
import { PoisonEventError, encodeEvent, MessageStatusChanged, type Channel, type MessageOutbound } from '../contracts/events';
import { TOPICS } from '../contracts/topics';
import type { Logger } from '../logging';
import { RetryLaterError } from '../worker/backoff';
import type { HandlerContext } from '../worker/consumer';
import { publishDeadLetter } from '../bus/dead-letter';
import type { WorkerMetrics } from '../worker/metrics';
import type { CircuitBreaker } from './breaker';
import { CircuitOpenError, PlatformError } from './errors';
import type { FileLinks } from './files';
import type { ConnectorMetrics } from './metrics';
import type { ChannelConnector, MessageRef, OutboundFile, SendContext } from './port';
import { encodeRefMetadata, type PlatformMessageRefs } from './refs';

export interface OutboundSenderOptions {
  connector: ChannelConnector;
  breaker: CircuitBreaker;
  /** Required when the connector's platform does not echo metadata in its webhooks. */
  refs?: PlatformMessageRefs;
  files: FileLinks;
  /** The worker's (namespaced) bus: status events and dead letters go through it. */
  bus: EventBus;
  groupId: string;
  /** `source` of the status events, e.g. `connector-whatsapp`. */
  source: string;
  metrics: ConnectorMetrics;
  workerMetrics: WorkerMetrics;
  log: Logger;
  now?: () => Date;
}

/** One platform request of a message: its file (with the caption when the platform takes captions) or its text. */
type Part = { kind: 'file'; file: OutboundFile } | { kind: 'text'; text: string };

/** Runs a call to one of our own services; its failure makes the message wait instead of using up an attempt. */
async function waitOutOwnOutage<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new RetryLaterError(`${what} failed (${error instanceof Error ? error.message : String(error)}); the message waits`);
  }
}

/**
 * The work for one outbound event, run by the worker runtime (`startEventConsumer`), which retries a failed attempt
 * with back-off and jitter and, after the last attempt, calls `giveUp` and dead-letters the record. Here:
 *
 * - Each platform request carries metadata naming our message and the part (`encodeRefMetadata`), which the
 *   platform echoes in webhooks and which makes a redelivered event's send idempotent.
 * - Calls go through the platform's circuit breaker. While it is open, or when a failure opened it, the attempt ends
 *   with `RetryLaterError`: the record waits uncommitted (its partition with it) and no attempt is used up, so an
 *   outage makes messages wait rather than fail.
 * - A permanent platform error (a 4xx such as a bad recipient) fails the message at once: FAILED status, then the
 *   record is dead-lettered with the reason; retrying could not help.
 * - Our own dependencies failing (the refs store, the files service) says nothing about the message either: it waits
 *   (`RetryLaterError`) as during a platform outage. Used-up attempts would end a message already sent as FAILED.
 *
 * The recipient is the conversation id: in this system a conversation is the platform chat (a real deployment would
 * look up the chat's phone number or Instagram-scoped id here).
 */
export class OutboundSender {
  private readonly channel: Channel;
  private readonly now: () => Date;

  constructor(private readonly options: OutboundSenderOptions) {
    this.channel = options.connector.channel;
    this.now = options.now ?? (() => new Date());
    if (!options.connector.echoesMetadata && !options.refs) {
      throw new Error(`the ${this.channel} connector's webhooks do not echo metadata: it needs a PlatformMessageRefs store`);
    }
  }

  async handle(event: MessageOutbound, context: HandlerContext): Promise<void> {
    const { record, log } = context;
    if (event.channel !== this.channel) {
      throw new PoisonEventError(record.value, `outbound event for ${event.channel} on the ${this.channel} connector's topic`);
    }
    const { message } = event;
    const ref: MessageRef = { messageId: message.messageId, conversationId: message.conversationId };
    const parts = await this.plan(event);
    if (typeof parts === 'string') {
      await this.failPermanently(event, parts, context);
      return;
    }
    const ids: string[] = [];
    for (const part of parts) {
      const ctx: SendContext = { ...ref, metadata: encodeRefMetadata(ref, part.kind) };
      let platformMessageId: string;
      try {
        platformMessageId = await this.call(part, message.conversationId, ctx);
      } catch (error) {
        if (error instanceof PlatformError && !error.retriable) {
          await this.failPermanently(event, `the platform refused the message: ${error.message}`, context);
          return;
        }
        throw error;
      }
      // Saved after every send, a redelivered one too (same id, idempotent upsert): a crash between the send and the
      // save leaves the record uncommitted, and its redelivery saves it.
      const { refs } = this.options;
      if (refs) await waitOutOwnOutage('saving the platform message id', () => refs.save(this.channel, platformMessageId, ref));
      ids.push(platformMessageId);
    }
    this.options.metrics.messages.inc({ channel: this.channel, outcome: 'sent' });
    log.info({ platformMessageIds: ids, attempt: context.attempt }, 'message sent to the platform');
  }

  /** After the last failed attempt: the message is FAILED, with the platform's last error as the reason. */
  async giveUp(event: MessageOutbound, error: unknown, _context: HandlerContext): Promise<void> {
    const reason = `not sent, every attempt failed; last error: ${error instanceof Error ? error.message : String(error)}`;
    await this.publishFailed(event, reason);
    this.options.metrics.messages.inc({ channel: this.channel, outcome: 'failed' });
  }

  /** The parts to send, or the reason the message cannot be sent at all. */
  private async plan(event: MessageOutbound): Promise<Part[] | string> {
    const { message } = event;
    if (message.fileId === undefined) return [{ kind: 'text', text: message.content ?? '' }];
    // A link is asked for at each attempt: it expires, so a stored one could be dead by the time a retry runs.
    const { fileId } = message;
    const link = await waitOutOwnOutage('asking the files service for a link', () => this.options.files.link(fileId));
    if (link === null) return `file ${message.fileId} does not exist`;
    const caption = message.content !== undefined && message.content !== '' ? message.content : undefined;
    if (caption === undefined) return [{ kind: 'file', file: link }];
    if (this.options.connector.fileCaptions) return [{ kind: 'file', file: { ...link, caption } }];
    return [
      { kind: 'file', file: link },
      { kind: 'text', text: caption },
    ];
  }

  private async call(part: Part, to: string, ctx: SendContext): Promise<string> {
    const { connector, breaker, metrics } = this.options;
    try {
      const id = await breaker.run(
        () => (part.kind === 'text' ? connector.sendText(to, part.text, ctx) : connector.sendFile(to, part.file, ctx)),
        // A permanent error is the platform answering properly about this message: it says nothing against the platform.
        (error) => (error instanceof PlatformError && !error.retriable ? 'success' : 'failure'),
      );
      metrics.platformCalls.inc({ channel: this.channel, result: 'ok' });
      return id;
    } catch (error) {
      if (error instanceof CircuitOpenError) throw new RetryLaterError(error.message, error.retryInMs);
      const permanent = error instanceof PlatformError && !error.retriable;
      metrics.platformCalls.inc({ channel: this.channel, result: permanent ? 'permanent' : 'retriable' });
      // This failure opened the circuit (or was a failed probe): the platform is judged down, not the message.
      if (!permanent && breaker.state !== 'closed') {
        throw new RetryLaterError(`${error instanceof Error ? error.message : String(error)}; circuit opened, the message waits`);
      }
      throw error;
    }
  }

  private async failPermanently(event: MessageOutbound, reason: string, context: HandlerContext): Promise<void> {
    const { bus, groupId, workerMetrics } = this.options;
    await this.publishFailed(event, reason);
    await publishDeadLetter((topic, records) => bus.publish(topic, records), groupId, context.record, { kind: 'gave-up', reason, attempts: context.attempt });
    workerMetrics.deadLettered.inc({ group: groupId, topic: context.record.topic, kind: 'gave_up' });
    this.options.metrics.messages.inc({ channel: this.channel, outcome: 'failed' });
    context.log.warn({ reason }, 'message FAILED without retry; record dead-lettered');
  }

  private async publishFailed(event: MessageOutbound, reason: string): Promise<void> {
    const { message } = event;
    const status = encodeEvent(MessageStatusChanged, {
      version: 1,
      messageId: message.messageId,
      conversationId: message.conversationId,
      status: 'FAILED',
      at: this.now().toISOString(),
      reason: reason.slice(0, 1000),
      channel: this.channel,
      source: this.options.source,
    });
    await this.options.bus.publish(TOPICS.messagesStatus, [{ key: message.conversationId, value: status }]);
  }
}
