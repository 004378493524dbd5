import { randomUUID } from 'node:crypto';
import {
  Kafka,
  Partitioners,
  logLevel,
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type IHeaders,
  type KafkaMessage,
  type LogEntry,
  type Message,
  type Producer,
} from 'kafkajs';
import type { KafkaConfig } from '../config';
import type { Logger } from '../logging';
import { PublishCoalescer } from './coalesce';
import { CommitSchedule } from './commit-schedule';
import { fixKafkajsRequestQueue } from './kafkajs-request-queue';
import { DEFAULT_RETRY_POLICY, deliverInKeyOrder } from './delivery';
import {
  UnknownTopicError,
  type BusHeaders,
  type BusRecord,
  type EventBus,
  type OutgoingRecord,
  type PartitionOffsets,
  type ReadOptions,
  type Reader,
  type SubscribeOptions,
  type Subscription,
} from './port';

/** Consumer timings. The defaults suit services; tests shorten them so a group rebalances in about a second. */
export interface KafkaBusOptions {
  /**
   * Without a heartbeat for this long a member is dropped and its partitions reassigned (broker minimum: 6000).
   * kafkajs heartbeats between records and between retries, not during a handler call: a single call that runs longer
   * than this loses the partition, and its record is redelivered to the next owner.
   */
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** How long a rebalance waits for members to rejoin. */
  rebalanceTimeoutMs?: number;
  /** Longest fetch wait when a partition is idle; it also bounds how long `stop()` waits for an idle consumer. */
  maxWaitTimeMs?: number;
  /** How many times a publish is retried (with back-off up to 5 s) before it rejects. */
  publishRetries?: number;
  /** Most records in one produce request when publish calls wait for one another (see `PublishCoalescer`). */
  maxBatchRecords?: number;
  /** Longest time a handled record waits for its offset commit while the subscription runs (see `CommitSchedule`). */
  commitIntervalMs?: number;
}

/** Throwaway groups of group-less readers (`read`): kafkajs fetches only as a group member. */
export const READER_GROUP_PREFIX = 'reader-';
const OFFSETS_ATTEMPTS = 10;

const DEFAULTS: Required<KafkaBusOptions> = {
  sessionTimeoutMs: 30_000,
  heartbeatIntervalMs: 3_000,
  rebalanceTimeoutMs: 60_000,
  maxWaitTimeMs: 1_000,
  publishRetries: 6,
  maxBatchRecords: 1_000,
  commitIntervalMs: 1_000,
};

// kafkajs logs every error response at ERROR, also the ones it retries and the ones it rethrows to us; those are
// debug lines here (the caller sees the final error). INFO is group join/leave chatter, which this adapter reports itself.
const QUIET_NAMESPACES = new Set(['Connection', 'BrokerPool', 'Cluster']);
// We bound the idempotent producer's retries on purpose (see `connectProducer`), so its warning about it is noise.
const EXPECTED_WARNINGS = ['Limiting retries for the idempotent producer'];

function routeKafkaLogs(log: Logger) {
  const child = log.child({ component: 'kafkajs' });
  return () =>
    ({ namespace, level, log: entry }: LogEntry) => {
      const { message, timestamp: _timestamp, ...fields } = entry;
      const data = { namespace, ...fields };
      if (level === logLevel.ERROR && !QUIET_NAMESPACES.has(namespace)) child.error(data, message);
      else if (level === logLevel.WARN && !EXPECTED_WARNINGS.some((w) => message.startsWith(w))) child.warn(data, message);
      else child.debug(data, message);
    };
}

/** One kafkajs client per bus or admin session, logging through pino (with kafkajs's idle timer loop fixed). */
export function createKafkaClient(config: KafkaConfig, log: Logger): Kafka {
  fixKafkajsRequestQueue();
  return new Kafka({
    clientId: config.KAFKA_CLIENT_ID,
    brokers: config.KAFKA_BROKERS,
    logLevel: logLevel.INFO,
    logCreator: routeKafkaLogs(log),
  });
}

/** Walks kafkajs's `cause` chain (retries wrap the broker's answer). */
function isUnknownTopic(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = (e as { cause?: unknown }).cause) {
    if ((e as { type?: unknown }).type === 'UNKNOWN_TOPIC_OR_PARTITION') return true;
  }
  return false;
}

function toHeaders(headers: IHeaders | undefined): BusHeaders {
  const result: BusHeaders = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    // A header repeated by a foreign producer arrives as an array; the port keeps one value per name, the last.
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) result[name] = last.toString();
  }
  return result;
}

function toBusRecord(topic: string, partition: number, message: KafkaMessage): BusRecord {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key?.toString('utf8') ?? '',
    value: message.value ?? Buffer.alloc(0),
    headers: toHeaders(message.headers),
  };
}

function nextOffset(offset: string): string {
  return (BigInt(offset) + 1n).toString();
}

export class KafkaEventBus implements EventBus {
  private readonly kafka: Kafka;
  private readonly options: Required<KafkaBusOptions>;
  private producer: Promise<Producer> | undefined;
  private admin: Promise<Admin> | undefined;
  private readonly knownTopics = new Set<string>();
  private readonly subscriptions = new Set<Subscription>();
  private readonly readers = new Set<Reader>();
  private readonly outgoing: PublishCoalescer<Message>;
  private closed = false;

  constructor(
    config: KafkaConfig,
    private readonly log: Logger,
    options: KafkaBusOptions = {},
  ) {
    this.kafka = createKafkaClient(config, log);
    this.options = { ...DEFAULTS, ...options };
    this.outgoing = new PublishCoalescer<Message>({
      maxRecords: this.options.maxBatchRecords,
      send: async (batches) => {
        const producer = await this.connectProducer();
        await producer.sendBatch({ acks: -1, topicMessages: batches.map(({ topic, records }) => ({ topic, messages: [...records] })) });
      },
      // A topic deleted under a running service fails the whole request: the calls for other topics go again alone.
      retryAlone: isUnknownTopic,
    });
  }

  async publish(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    this.assertOpen();
    if (records.length === 0) return;
    await this.assertTopicsExist([topic]);
    try {
      await this.outgoing.publish(
        topic,
        records.map((r) => ({ key: r.key, value: r.value, headers: r.headers ?? {} })),
      );
    } catch (error) {
      if (isUnknownTopic(error)) {
        this.knownTopics.delete(topic);
        throw new UnknownTopicError(topic);
      }
      throw error;
    }
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    this.assertOpen();
    await this.assertTopicsExist(options.topics);
    const { groupId } = options;
    const retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    const consumer = this.newConsumer(groupId, 'kafka consumer crashed');
    const stopping = new AbortController();
    // kafkajs's disconnect() does not reliably wait for a running batch before leaving the group (its "consuming"
    // flag drops when the fetch loop ends, not when the partition workers do), so stop() waits for these itself.
    const inFlight = new Set<Promise<void>>();

    const eachBatch = (payload: EachBatchPayload): Promise<void> => {
      const running = handleBatch(payload).finally(() => inFlight.delete(running));
      inFlight.add(running);
      return running;
    };

    // Handled offsets are committed together, at most every `commitIntervalMs` (see CommitSchedule).
    const commits = new CommitSchedule({
      intervalMs: this.options.commitIntervalMs,
      commit: (offsets) => consumer.commitOffsets(offsets),
      onTimerError: (error) => this.log.warn({ err: error, groupId }, 'offset commit failed; trying again'),
    });
    // A member that loses partitions in the rebalance just starting hands over what it handled (best effort: a
    // commit that misses only repeats records for the next owner).
    consumer.on(consumer.events.REBALANCING, () => {
      commits.flush().catch((error: unknown) => this.log.debug({ err: error, groupId }, 'offset commit before rebalance failed'));
    });

    /**
     * One partition's fetched records: each key's in order, up to `keyConcurrency` keys at once. Offsets are committed
     * only up to the first record not yet handled, and not one by one: a commit costs a round trip through the group
     * coordinator and an append to its offsets log, so handled offsets wait for the schedule (at most `commitIntervalMs`,
     * one request for every partition), except before waiting to retry a failing record and when
     * stop() ends the subscription. A crash in between redelivers those records, as at-least-once allows.
     */
    const handleBatch = async ({ batch, heartbeat, isRunning, isStale, resolveOffset }: EachBatchPayload): Promise<void> => {
      const { topic, partition } = batch;
      let failure: unknown;
      try {
        await deliverInKeyOrder(
          {
            records: batch.messages.map((message) => toBusRecord(topic, partition, message)),
            keyConcurrency: options.keyConcurrency ?? 1,
            // After stop() nothing new starts; the rest stays uncommitted for the next owner of the partition.
            mayStart: () => !stopping.signal.aborted && isRunning() && !isStale(),
            onHandled: async (record) => {
              commits.handled(topic, partition, nextOffset(record.offset));
              resolveOffset(record.offset);
              await heartbeat(); // kafkajs sends one only when the interval has passed
            },
          },
          {
            groupId,
            handler: options.handler,
            retry,
            signal: stopping.signal,
            // Heartbeats keep the partition while a record is retried; a rebalance throws here, kafkajs rejoins and
            // the partition's owner starts again from the last commit.
            beforeRetry: async () => {
              await commits.flush();
              await heartbeat();
            },
            publish: (t, records) => this.publish(t, records),
            log: this.log,
          },
        );
      } catch (error) {
        failure = error;
      }
      try {
        await commits.batchEnded(); // also after a failure: what was handled stays handled (commits are accepted mid-rebalance)
      } catch (error) {
        failure ??= error;
      }
      if (failure !== undefined) throw failure;
    };

    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [...options.topics], fromBeginning: options.fromBeginning ?? false });
      // Resolves once the member has joined the group and received its partitions, or once a failed first join was
      // reported as a crash (kafkajs then joins again by itself; the group's commits, or fromBeginning, say where).
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: options.concurrency ?? 1,
        eachBatch,
      });
    } catch (error) {
      await consumer.disconnect().catch(() => undefined);
      throw error;
    }

    let stopped: Promise<void> | undefined;
    const subscription: Subscription = {
      stop: () => {
        stopped ??= (async () => {
          stopping.abort();
          commits.stop();
          // In-flight handlers finish, and what was handled is committed while this member still owns its partitions.
          await Promise.allSettled([...inFlight]);
          await commits.flush().catch((error: unknown) => this.log.warn({ err: error, groupId }, 'offset commit at stop failed; those records go again'));
          await consumer.disconnect();
          this.subscriptions.delete(subscription);
          this.log.info({ groupId, topics: options.topics }, 'subscription stopped');
        })();
        return stopped;
      },
    };
    this.subscriptions.add(subscription);
    this.log.info({ groupId, topics: options.topics }, 'subscribed');
    return subscription;
  }

  async offsets(topic: string): Promise<PartitionOffsets[]> {
    this.assertOpen();
    await this.assertTopicsExist([topic]);
    const admin = await this.connectAdmin();
    // A partition whose leader just moved (or a topic just created) answers NOT_LEADER for a moment: ask again.
    let answer;
    for (let attempt = 1; ; attempt++) {
      try {
        answer = await admin.fetchTopicOffsets(topic);
        break;
      } catch (error) {
        if (attempt >= OFFSETS_ATTEMPTS || (error as { retriable?: unknown }).retriable !== true) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
    return answer.map(({ partition, low, high }) => ({ partition, oldest: low, end: high })).sort((a, b) => a.partition - b.partition);
  }

  /**
   * kafkajs fetches only as a group member, so a reader is a consumer alone in a throwaway group (`reader-<uuid>`)
   * that never commits: each time it joins (holding every partition), each one is sought to where the reader is: its
   * start (the given offset, else the end offset read before joining, so nothing published meanwhile is missed), then
   * past the last record handled. kafkajs drops batches fetched before a seek took effect. The group is deleted on
   * stop (best effort; an orphan expires with `offsets.retention.minutes`).
   */
  async read(options: ReadOptions): Promise<Reader> {
    this.assertOpen();
    const { topic, handler } = options;
    const start = await this.offsets(topic);
    const groupId = `${READER_GROUP_PREFIX}${randomUUID()}`;
    const consumer = this.newConsumer(groupId, 'kafka reader crashed');
    let stopping = false;
    // Where each partition is to be read from next: its start, then past each record handled.
    const next = new Map(start.map(({ partition, end }) => [partition, options.from?.[partition] ?? end]));
    // Sought on every join, not once after run(): kafkajs reports a failed first join (e.g. "the coordinator is
    // loading" on a broker just started) as a crash, resolves run() and joins again later, and a consumer restarted
    // after a retriable error rejoins with no committed offsets. Either way the seeks must wait for that join, and
    // the reader must go on from where it was, not from the end.
    consumer.on(consumer.events.GROUP_JOIN, () => {
      for (const [partition, offset] of next) consumer.seek({ topic, partition, offset });
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: false });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message, heartbeat }) => {
          if (stopping) return;
          const record = toBusRecord(topic, partition, message);
          // A handler may wait (a replay goes at its subscriber's pace): heartbeats keep the partitions meanwhile.
          const beat = setInterval(() => void heartbeat().catch(() => undefined), this.options.heartbeatIntervalMs);
          try {
            await handler(record);
          } catch (error) {
            this.log.warn({ err: error, topic, partition, offset: message.offset }, 'reader handler failed; record skipped');
          } finally {
            clearInterval(beat);
            next.set(partition, (BigInt(message.offset) + 1n).toString());
          }
        },
      });
    } catch (error) {
      await consumer.disconnect().catch(() => undefined);
      throw error;
    }

    let stopped: Promise<void> | undefined;
    const reader: Reader = {
      stop: () => {
        stopped ??= (async () => {
          stopping = true;
          await consumer.disconnect();
          this.readers.delete(reader);
          try {
            await (await this.connectAdmin()).deleteGroups([groupId]);
          } catch (error) {
            this.log.debug({ err: error, groupId }, 'reader group not deleted; it expires by itself');
          }
        })();
        return stopped;
      },
    };
    this.readers.add(reader);
    return reader;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions, ...this.readers].map((s) => s.stop()));
    const [producer, admin] = await Promise.all([this.producer?.catch(() => undefined), this.admin?.catch(() => undefined)]);
    await Promise.all([producer?.disconnect(), admin?.disconnect()]);
  }

  private newConsumer(groupId: string, crashMessage: string): Consumer {
    const consumer = this.kafka.consumer({
      groupId,
      sessionTimeout: this.options.sessionTimeoutMs,
      heartbeatInterval: this.options.heartbeatIntervalMs,
      rebalanceTimeout: this.options.rebalanceTimeoutMs,
      maxWaitTimeInMs: this.options.maxWaitTimeMs,
      allowAutoTopicCreation: false,
      // kafkajs restarts the consumer after a retriable broker error; anything else ends it (logged).
      retry: { restartOnFailure: async () => true },
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      const level = payload.restart ? 'warn' : 'error';
      this.log[level]({ groupId, err: payload.error, restart: payload.restart }, crashMessage);
    });
    return consumer;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('event bus is closed');
  }

  private connectProducer(): Promise<Producer> {
    this.producer ??= (async () => {
      const producer = this.kafka.producer({
        // Idempotence makes broker-side retries duplicate-free and, with one request in flight, keeps per-key order.
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        // Java-compatible murmur2: a key lands on the same partition whichever client published it.
        createPartitioner: Partitioners.DefaultPartitioner,
        // kafkajs retries an idempotent producer forever by default; a caller needs an answer. A publish retried by
        // the caller after a rejection may duplicate a record, which at-least-once consumers already tolerate.
        retry: { retries: this.options.publishRetries, maxRetryTime: 5_000 },
      });
      await producer.connect();
      return producer;
    })().catch((error: unknown) => {
      this.producer = undefined;
      throw error;
    });
    return this.producer;
  }

  private connectAdmin(): Promise<Admin> {
    this.admin ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      return admin;
    })().catch((error: unknown) => {
      this.admin = undefined;
      throw error;
    });
    return this.admin;
  }

  /**
   * kafkajs would retry a missing topic for many seconds before failing with a generic error; one metadata listing
   * answers at once. Names seen once are remembered.
   */
  private async assertTopicsExist(topics: readonly string[]): Promise<void> {
    if (topics.every((t) => this.knownTopics.has(t))) return;
    const admin = await this.connectAdmin();
    for (const t of await admin.listTopics()) this.knownTopics.add(t);
    const missing = topics.find((t) => !this.knownTopics.has(t));
    if (missing !== undefined) throw new UnknownTopicError(missing);
  }
}

export function createKafkaBus(config: KafkaConfig, log: Logger, options?: KafkaBusOptions): EventBus {
  return new KafkaEventBus(config, log, options);
}
