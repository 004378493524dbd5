import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import {
  CONSUMER_GROUPS,
  KafkaLagSource,
  MessageStatusChanged,
  TOPICS,
  createKafkaBus,
  createLogger,
  decodeEvent,
  kafkaEnv,
  loadConfig,
  outboundTopic,
  type EventBus,
  type Reader,
} from '@chat4all/common';

/** How often a drain looks at what it has seen (in memory) and, once every message is final, at the persister's lag. */
const CHECK_MS = 100;

/**
 * When a step's messages are done, learnt from the bus rather than the store: the final statuses (READ, FAILED) on
 * `messages.status`, read without a group from the moment the watch starts, then the status persister's lag on that
 * topic reaching 0 (its records are committed only once stored, so every final status is then in Cassandra). Polling
 * the store instead cost Cassandra about as many reads per message as the pipeline's own writes, inside the window
 * whose CPU is charged to the pipeline, and took cores from a pipeline still catching up.
 */
export class FinalStatusWatch {
  private constructor(
    private readonly bus: EventBus,
    private readonly reader: Reader,
    private readonly lag: KafkaLagSource,
    /** Ids of messages seen READ or FAILED (the run's messages only: nothing else publishes during a benchmark). */
    private readonly final: Set<string>,
  ) {}

  /** Resolves once positioned: every status published afterwards is seen. */
  static async start(): Promise<FinalStatusWatch> {
    const config = loadConfig(z.object(kafkaEnv));
    const log = createLogger('bench-pipeline', 'warn');
    const bus = createKafkaBus(config, log);
    const final = new Set<string>();
    const reader = await bus.read({
      topic: TOPICS.messagesStatus,
      handler: async (record) => {
        const event = decodeEvent(MessageStatusChanged, record.value);
        if (event.status === 'READ' || event.status === 'FAILED') final.add(event.messageId);
      },
    });
    return new FinalStatusWatch(bus, reader, new KafkaLagSource(config, log), final);
  }

  /**
   * Waits until every message of `ids` has a final status on the bus and the status persister has stored them all, or
   * `seconds` have passed. What reached READ is read from the store afterwards, not from here.
   */
  async drain(ids: readonly string[], seconds: number): Promise<void> {
    const deadline = Date.now() + seconds * 1000;
    let open = ids;
    for (;;) {
      open = open.filter((id) => !this.final.has(id));
      if (open.length === 0 && (await this.persisterLag()) === 0) return;
      if (Date.now() > deadline) return;
      await sleep(CHECK_MS);
    }
  }

  /**
   * Waits until the pipeline's consumer groups have nothing left to read (records published before the benchmark,
   * e.g. by an earlier subscriptions run, are routed and delivered like any others, and would queue ahead of a step's
   * messages in their partitions), or `seconds` have passed; what was waiting at first and at the end.
   */
  async drainBacklog(seconds: number): Promise<{ before: number; after: number; waitedSeconds: number }> {
    const started = Date.now();
    const before = await this.backlog();
    let after = before;
    while (after > 0 && Date.now() - started < seconds * 1000) {
      await sleep(1000);
      after = await this.backlog();
    }
    return { before, after, waitedSeconds: Math.round((Date.now() - started) / 100) / 10 };
  }

  async stop(): Promise<void> {
    await this.reader.stop();
    await this.lag.close();
    await this.bus.close();
  }

  private async persisterLag(): Promise<number> {
    return this.groupLag(CONSUMER_GROUPS.statusPersister, TOPICS.messagesStatus);
  }

  /** Records the groups of the benchmark's stack (router, WhatsApp connector, status persister, users' activity) have yet to read. */
  private async backlog(): Promise<number> {
    const lags = await Promise.all([
      this.groupLag(CONSUMER_GROUPS.router, TOPICS.messagesAccepted),
      this.groupLag(CONSUMER_GROUPS.usersActivity, TOPICS.messagesAccepted),
      this.groupLag(CONSUMER_GROUPS.connectorWhatsapp, outboundTopic('WHATSAPP')),
      this.groupLag(CONSUMER_GROUPS.statusPersister, TOPICS.messagesStatus),
    ]);
    return lags.reduce((sum, lag) => sum + lag, 0);
  }

  private async groupLag(group: string, topic: string): Promise<number> {
    const partitions = await this.lag.lag(group, [topic]);
    return partitions.reduce((sum, p) => sum + p.lag, 0);
  }
}
