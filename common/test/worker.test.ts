import { Writable } from 'node:stream';
import pino from 'pino';
import { Registry } from 'prom-client';
import { deliverRecord, DEFAULT_RETRY_POLICY, type DeliveryOutcome } from '../src/bus/delivery';
import type { BusRecord, EventBus, OutgoingRecord, PartitionOffsets, Reader, SubscribeOptions, Subscription } from '../src/bus/port';
import { ConfigError } from '../src/config';
import type { MessageOutbound, MessageStatusChanged} from '../src/contracts/events';
import { EVENT_VERSION, MessageAccepted, PoisonEventError, encodeEvent } from '../src/contracts/events';
import { deadLetterTopic } from '../src/contracts/topics';
import { newUuidV7 } from '../src/ids';
import { DEAD_LETTER_HEADERS as H } from '../src/bus/dead-letter';
import {
  RetryLaterError,
  WorkerMetrics,
  attemptPolicyFrom,
  backoffDelayMs,
  checkAttemptPolicy,
  defaultRecordIds,
  namespacedBus,
  startEventConsumer,
  startLagSampler,
  topicNamespace,
  workerMetrics,
  type EventConsumerOptions,
  type LagSource,
  type PartitionLag,
  type WorkerConfig,
} from '../src/worker';

/** Log lines as parsed JSON objects, to check what the runtime logs. */
function captureLog(): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'debug' }, stream), lines };
}

/**
 * A bus whose subscriptions are driven by the test, through the bus's real shared delivery loop (`deliverRecord`):
 * in-place retries and the stop signal behave as on Kafka, without a broker.
 */
class DrivenBus implements EventBus {
  readonly published: { topic: string; record: OutgoingRecord }[] = [];
  /** Publishes to these topics fail this many more times. */
  readonly publishFailures = new Map<string, number>();
  subscription: { options: SubscribeOptions; stopping: AbortController; inFlight: Set<Promise<DeliveryOutcome>> } | undefined;

  async publish(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    const failures = this.publishFailures.get(topic) ?? 0;
    if (failures > 0) {
      this.publishFailures.set(topic, failures - 1);
      throw new Error(`publish to ${topic} failed`);
    }
    for (const record of records) this.published.push({ topic, record });
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const stopping = new AbortController();
    const inFlight = new Set<Promise<DeliveryOutcome>>();
    this.subscription = { options, stopping, inFlight };
    return {
      stop: async () => {
        stopping.abort();
        await Promise.allSettled([...inFlight]);
      },
    };
  }

  offsets(): Promise<PartitionOffsets[]> {
    return Promise.reject(new Error('DrivenBus has no log to read'));
  }

  read(): Promise<Reader> {
    return Promise.reject(new Error('DrivenBus has no log to read'));
  }

  async close(): Promise<void> {}

  /** Hands one record to the subscription; resolves 'handled' when the bus would commit it. */
  deliver(record: BusRecord): Promise<DeliveryOutcome> {
    const sub = this.subscription;
    if (!sub) throw new Error('nothing subscribed');
    const running = deliverRecord(record, {
      groupId: sub.options.groupId,
      handler: sub.options.handler,
      retry: { ...DEFAULT_RETRY_POLICY, ...sub.options.retry },
      signal: sub.stopping.signal,
      publish: (topic, records) => this.publish(topic, records),
      log: pino({ level: 'silent' }),
    });
    sub.inFlight.add(running);
    void running.finally(() => sub.inFlight.delete(running));
    return running;
  }
}

const GROUP = 'test-group';
const TOPIC = 'messages.accepted';

let offsetCounter = 0;
function record(value: Buffer | string, extra: Partial<BusRecord> = {}): BusRecord {
  return {
    topic: TOPIC,
    partition: 2,
    offset: String(++offsetCounter),
    key: 'conv-1',
    value: typeof value === 'string' ? Buffer.from(value) : value,
    headers: { trace: 't-1' },
    ...extra,
  };
}

function accepted(extra: Partial<MessageAccepted> = {}): MessageAccepted {
  return {
    version: EVENT_VERSION,
    messageId: newUuidV7(),
    conversationId: 'conv-1',
    senderId: 'user-1',
    content: 'hello',
    createdAt: new Date().toISOString(),
    ...extra,
  };
}

const acceptedRecord = (event: MessageAccepted = accepted()) => record(encodeEvent(MessageAccepted, event));

async function counter(metrics: WorkerMetrics, name: 'processed' | 'failed' | 'waited'): Promise<number> {
  const { values } = await metrics[name].get();
  return values.reduce((sum, v) => sum + v.value, 0);
}

async function deadLettered(metrics: WorkerMetrics, kind: 'poison' | 'gave_up'): Promise<number> {
  const { values } = await metrics.deadLettered.get();
  return values.filter((v) => v.labels.kind === kind).reduce((sum, v) => sum + v.value, 0);
}

type AcceptedOptions = EventConsumerOptions<typeof MessageAccepted>;

async function setup(overrides: Partial<AcceptedOptions> = {}) {
  const bus = new DrivenBus();
  const metrics = new WorkerMetrics(new Registry());
  const { log, lines } = captureLog();
  const handled: MessageAccepted[] = [];
  const consumer = await startEventConsumer({
    bus,
    groupId: GROUP,
    topics: [TOPIC],
    schema: MessageAccepted,
    handle: async (event) => {
      handled.push(event);
    },
    retry: { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 4 },
    metrics,
    log,
    ...overrides,
  });
  return { bus, metrics, lines, handled, consumer };
}

describe('backoff', () => {
  const policy = { initialDelayMs: 100, maxDelayMs: 1000 };

  test('doubles per failure up to the ceiling, with half of each delay random', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelayMs(n, policy, () => 1))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelayMs(n, policy, () => 0))).toEqual([50, 100, 200, 400, 500, 500]);
    expect(backoffDelayMs(3, policy, () => 0.5)).toBe(300);
    expect(backoffDelayMs(5000, policy, () => 1)).toBe(1000);
  });

  test('policies that cannot work are refused', () => {
    expect(() => checkAttemptPolicy({ maxAttempts: 0, initialDelayMs: 1, maxDelayMs: 1 })).toThrow(/maxAttempts/);
    expect(() => checkAttemptPolicy({ maxAttempts: 2.5, initialDelayMs: 1, maxDelayMs: 1 })).toThrow(/integer/);
    expect(() => checkAttemptPolicy({ maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 5 })).toThrow(/maxDelayMs/);
    expect(checkAttemptPolicy({ maxAttempts: Infinity, initialDelayMs: 0, maxDelayMs: 0 }).maxAttempts).toBe(Infinity);
  });

  test('attemptPolicyFrom reads 0 attempts as unbounded and refuses a back-off that outlasts half the session', () => {
    const config: WorkerConfig = {
      KAFKA_TOPIC_PREFIX: '',
      KAFKA_SESSION_TIMEOUT_MS: 30_000,
      WORKER_CONCURRENCY: 1,
      WORKER_KEY_CONCURRENCY: 1,
      WORKER_MAX_ATTEMPTS: 0,
      WORKER_RETRY_INITIAL_MS: 100,
      WORKER_RETRY_MAX_MS: 5_000,
      WORKER_LAG_SAMPLE_MS: 1000,
    };
    expect(attemptPolicyFrom(config)).toEqual({ maxAttempts: Infinity, initialDelayMs: 100, maxDelayMs: 5_000 });
    expect(attemptPolicyFrom({ ...config, WORKER_MAX_ATTEMPTS: 4 }).maxAttempts).toBe(4);
    expect(() => attemptPolicyFrom({ ...config, WORKER_RETRY_MAX_MS: 15_000 })).toThrow(ConfigError);
    expect(() => attemptPolicyFrom({ ...config, WORKER_RETRY_MAX_MS: 15_000 })).toThrow(/WORKER_RETRY_MAX_MS/);
    expect(() => attemptPolicyFrom({ ...config, WORKER_RETRY_INITIAL_MS: 6_000 })).toThrow(/at least WORKER_RETRY_INITIAL_MS/);
  });
});

describe('event consumer', () => {
  test('subscribes its group from the beginning and hands decoded events to the handler, dropping unknown fields', async () => {
    const { bus, handled, metrics, consumer } = await setup();
    expect(bus.subscription?.options).toMatchObject({ groupId: GROUP, topics: [TOPIC], fromBeginning: true });
    const event = accepted();
    const withExtra = Buffer.from(JSON.stringify({ ...event, futureField: 1 }));
    expect(await bus.deliver(record(withExtra))).toBe('handled');
    expect(handled).toEqual([event]);
    expect(await counter(metrics, 'processed')).toBe(1);
    const duration = await metrics.duration.get();
    expect(duration.values.find((v) => v.metricName?.endsWith('_count') && v.labels.outcome === 'success')?.value).toBe(1);
    await consumer.stop();
  });

  test('logs each handled record as JSON with its message id and conversation id', async () => {
    const { bus, lines, consumer } = await setup();
    const event = accepted({ conversationId: 'conv-logged' });
    await bus.deliver(acceptedRecord(event));
    const line = lines.find((l) => l.msg === 'record handled');
    expect(line).toMatchObject({ groupId: GROUP, messageId: event.messageId, conversationId: 'conv-logged', topic: TOPIC, partition: 2 });
    await consumer.stop();
  });

  test.each([
    ['not JSON', Buffer.from('{"version":1,'), /not JSON/],
    ['a wrong shape', Buffer.from(JSON.stringify({ version: 1, messageId: 'nope' })), /messageId/],
    ['an unknown version', Buffer.from(JSON.stringify({ ...accepted(), version: 2 })), /version/],
  ])('a poison record (%s) goes to the dead-letter topic with its bytes, error and origin, and is committed', async (_what, bytes, reason) => {
    const { bus, handled, metrics, consumer } = await setup();
    const poison = record(bytes, { key: 'conv-poison' });
    expect(await bus.deliver(poison)).toBe('handled');
    expect(handled).toEqual([]);
    expect(bus.published).toHaveLength(1);
    const [dead] = bus.published;
    expect(dead?.topic).toBe(deadLetterTopic(GROUP));
    expect(dead?.record.key).toBe('conv-poison');
    expect(Buffer.compare(Buffer.from(dead!.record.value), bytes)).toBe(0);
    expect(dead?.record.headers).toMatchObject({
      trace: 't-1',
      [H.topic]: TOPIC,
      [H.partition]: '2',
      [H.offset]: poison.offset,
      [H.kind]: 'poison',
      [H.group]: GROUP,
      [H.attempts]: '0',
    });
    expect(dead?.record.headers?.[H.reason]).toMatch(reason);
    expect(await deadLettered(metrics, 'poison')).toBe(1);

    // The consumer goes on with the next record.
    expect(await bus.deliver(acceptedRecord())).toBe('handled');
    expect(handled).toHaveLength(1);
    await consumer.stop();
  });

  test('a handler that throws PoisonEventError dead-letters the record at once', async () => {
    let calls = 0;
    const { bus, metrics, consumer } = await setup({
      handle: async () => {
        calls++;
        throw new PoisonEventError(Buffer.from('x'), 'nested payload unreadable');
      },
    });
    expect(await bus.deliver(acceptedRecord())).toBe('handled');
    expect(calls).toBe(1);
    expect(bus.published[0]?.record.headers?.[H.reason]).toBe('nested payload unreadable');
    expect(await deadLettered(metrics, 'poison')).toBe(1);
    await consumer.stop();
  });

  test('a failing handler is retried in place and the record is committed once it succeeds', async () => {
    let calls = 0;
    const attempts: number[] = [];
    const { bus, metrics, consumer } = await setup({
      handle: async (_event, context) => {
        calls++;
        attempts.push(context.attempt);
        if (calls < 3) throw new Error(`transient ${calls}`);
      },
    });
    expect(await bus.deliver(acceptedRecord())).toBe('handled');
    expect(attempts).toEqual([1, 2, 3]);
    expect(await counter(metrics, 'failed')).toBe(2);
    expect(await counter(metrics, 'processed')).toBe(1);
    expect(bus.published).toEqual([]);
    await consumer.stop();
  });

  test('waits between attempts with the exponential back-off', async () => {
    const times: number[] = [];
    const { bus, consumer, lines } = await setup({
      retry: { maxAttempts: 4, initialDelayMs: 40, maxDelayMs: 1000 },
      random: () => 1, // no jitter: exactly 40, 80 ms
      handle: async () => {
        times.push(Date.now());
        if (times.length < 3) throw new Error('transient');
      },
    });
    await bus.deliver(acceptedRecord());
    // The delays asked for, exactly (doubling, not the 1000 ms ceiling); the clock shows they were waited. An upper
    // bound on the clock would measure the machine's load as well.
    expect(lines.filter((l) => l.msg === 'handler failed; will retry').map((l) => l.retryInMs)).toEqual([40, 80]);
    const gaps = [times[1]! - times[0]!, times[2]! - times[1]!];
    expect(gaps[0]).toBeGreaterThanOrEqual(38);
    expect(gaps[1]).toBeGreaterThanOrEqual(78);
    await consumer.stop();
  });

  test('after maxAttempts failures it calls onGiveUp, dead-letters the record with the error, and commits', async () => {
    let calls = 0;
    const gaveUp: { event: MessageAccepted; error: unknown }[] = [];
    const { bus, metrics, consumer } = await setup({
      handle: async () => {
        calls++;
        throw new Error(`platform said no (${calls})`);
      },
      onGiveUp: async (event, error) => {
        gaveUp.push({ event, error });
      },
    });
    const event = accepted();
    const failing = acceptedRecord(event);
    expect(await bus.deliver(failing)).toBe('handled');
    expect(calls).toBe(3);
    expect(gaveUp).toHaveLength(1);
    expect(gaveUp[0]?.event).toEqual(event);
    expect((gaveUp[0]?.error as Error).message).toBe('platform said no (3)');
    expect(bus.published).toHaveLength(1);
    expect(bus.published[0]?.topic).toBe(deadLetterTopic(GROUP));
    expect(bus.published[0]?.record.headers).toMatchObject({ [H.kind]: 'gave-up', [H.attempts]: '3', [H.offset]: failing.offset });
    expect(bus.published[0]?.record.headers?.[H.reason]).toBe('Error: platform said no (3)');
    expect(await deadLettered(metrics, 'gave_up')).toBe(1);
    expect(await counter(metrics, 'failed')).toBe(3);
    expect(await counter(metrics, 'processed')).toBe(0);
    await consumer.stop();
  });

  test('when giving up fails, the record is retried by giving up again, not by re-running the handler', async () => {
    let calls = 0;
    let giveUps = 0;
    const { bus, consumer } = await setup({
      handle: async () => {
        calls++;
        throw new Error('always');
      },
      onGiveUp: async () => {
        giveUps++;
        if (giveUps === 1) throw new Error('status topic unavailable');
      },
    });
    bus.publishFailures.set(deadLetterTopic(GROUP), 1);
    expect(await bus.deliver(acceptedRecord())).toBe('handled');
    expect(calls).toBe(3);
    // 1: onGiveUp throws; 2: the dead-letter publish throws; 3: both succeed.
    expect(giveUps).toBe(3);
    expect(bus.published.filter((p) => p.topic === deadLetterTopic(GROUP))).toHaveLength(1);
    await consumer.stop();
  });

  test('a poison record whose dead-letter publish fails is retried until the copy is durable', async () => {
    const { bus, consumer } = await setup();
    bus.publishFailures.set(deadLetterTopic(GROUP), 2);
    expect(await bus.deliver(record('garbage'))).toBe('handled');
    expect(bus.published).toHaveLength(1);
    await consumer.stop();
  });

  test('RetryLaterError waits without using up attempts and never gives up', async () => {
    let calls = 0;
    const waits: number[] = [];
    const { bus, metrics, consumer, lines } = await setup({
      retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 50 },
      handle: async (_event, context) => {
        calls++;
        waits.push(context.attempt);
        if (calls <= 4) throw new RetryLaterError('circuit open', 5);
      },
    });
    expect(await bus.deliver(acceptedRecord())).toBe('handled');
    expect(calls).toBe(5);
    expect(waits).toEqual([1, 1, 1, 1, 1]);
    expect(await counter(metrics, 'waited')).toBe(4);
    expect(await counter(metrics, 'failed')).toBe(0);
    expect(bus.published).toEqual([]);
    expect(lines.filter((l) => l.msg === 'record waits before its next attempt').map((l) => l.retryInMs)).toEqual([5, 5, 5, 5]);
    await consumer.stop();
  });

  test('a new record on the partition starts with a fresh attempt count', async () => {
    let fail = true;
    const seen: number[] = [];
    const { bus, consumer } = await setup({
      retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 1 },
      handle: async (_event, context) => {
        seen.push(context.attempt);
        if (fail) {
          fail = false;
          throw new Error('once');
        }
      },
    });
    await bus.deliver(acceptedRecord());
    await bus.deliver(acceptedRecord());
    expect(seen).toEqual([1, 2, 1]);
    await consumer.stop();
  });

  test('forgets records that were never handed back (their partition moved on), oldest first, beyond 1024', async () => {
    const seen = new Map<string, number[]>();
    const { bus, consumer } = await setup({
      retry: { maxAttempts: 5, initialDelayMs: 0, maxDelayMs: 0 },
      handle: async (_event, context) => {
        const attempts = seen.get(context.record.offset) ?? [];
        attempts.push(context.attempt);
        seen.set(context.record.offset, attempts);
        throw new Error('fails until its partition goes to another member');
      },
    });
    // The bus's own retry is skipped: each record fails once and is never handed to this member again.
    const handler = bus.subscription!.options.handler;
    const abandoned = Array.from({ length: 1025 }, () => acceptedRecord());
    for (const r of abandoned) await expect(handler(r)).rejects.toThrow('fails until');
    // Handed back after all: the oldest was forgotten (a fresh count), the newest is remembered (its second attempt).
    await expect(handler(abandoned[0]!)).rejects.toThrow('fails until');
    await expect(handler(abandoned[1024]!)).rejects.toThrow('fails until');
    expect(seen.get(abandoned[0]!.offset)).toEqual([1, 1]);
    expect(seen.get(abandoned[1024]!.offset)).toEqual([1, 2]);
    await consumer.stop();
  });

  test('stop() ends a back-off at once and leaves the record uncommitted', async () => {
    const { bus, consumer } = await setup({
      retry: { maxAttempts: 5, initialDelayMs: 20_000, maxDelayMs: 20_000 },
      handle: async () => {
        throw new Error('down');
      },
    });
    const outcome = bus.deliver(acceptedRecord());
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await consumer.stop();
    expect(await outcome).toBe('abandoned');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(bus.published).toEqual([]);
  });

  test('stop() lets the in-flight handler finish and its record be committed', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let finished = false;
    const { bus, consumer } = await setup({
      handle: async () => {
        await gate;
        finished = true;
      },
    });
    const outcome = bus.deliver(acceptedRecord());
    const stopping = consumer.stop();
    release();
    await stopping;
    expect(finished).toBe(true);
    expect(await outcome).toBe('handled');
  });
});

describe('record ids for logs', () => {
  test('come from the top of accepted and status events and from the message of outbound events', () => {
    const a = accepted();
    expect(defaultRecordIds(a)).toEqual({ messageId: a.messageId, conversationId: a.conversationId });
    const outbound: MessageOutbound = {
      version: EVENT_VERSION,
      channel: 'WHATSAPP',
      message: { messageId: a.messageId, conversationId: 'c-out', senderId: 's', content: 'x', createdAt: a.createdAt },
    };
    expect(defaultRecordIds(outbound)).toEqual({ messageId: a.messageId, conversationId: 'c-out' });
    const status: MessageStatusChanged = { version: EVENT_VERSION, messageId: a.messageId, conversationId: 'c-st', status: 'READ', at: a.createdAt, source: 'test' };
    expect(defaultRecordIds(status)).toEqual({ messageId: a.messageId, conversationId: 'c-st' });
    expect(defaultRecordIds(null)).toEqual({});
    expect(defaultRecordIds({ messageId: 3 })).toEqual({});
  });
});

describe('namespace', () => {
  test('prefixes topics and groups on the way out and strips the prefix from delivered records', async () => {
    const inner = new DrivenBus();
    const bus = namespacedBus(inner, topicNamespace('run-1.'));
    await bus.publish('messages.status', [{ key: 'k', value: 'v' }]);
    expect(inner.published.map((p) => p.topic)).toEqual(['run-1.messages.status']);

    const got: BusRecord[] = [];
    await bus.subscribe({ groupId: 'router', topics: ['messages.accepted'], handler: async (r) => void got.push(r) });
    expect(inner.subscription?.options).toMatchObject({ groupId: 'run-1.router', topics: ['run-1.messages.accepted'] });
    await inner.deliver(record('v', { topic: 'run-1.messages.accepted' }));
    expect(got.map((r) => r.topic)).toEqual(['messages.accepted']);
  });

  test('a consumer on a namespaced bus dead-letters to the namespaced dead-letter topic, naming the contract topic', async () => {
    const inner = new DrivenBus();
    const consumer = await startEventConsumer({
      bus: namespacedBus(inner, topicNamespace('run-2.')),
      groupId: 'router',
      topics: [TOPIC],
      schema: MessageAccepted,
      handle: async () => undefined,
      metrics: new WorkerMetrics(new Registry()),
      log: pino({ level: 'silent' }),
    });
    await inner.deliver(record('nope', { topic: `run-2.${TOPIC}` }));
    expect(inner.published[0]?.topic).toBe('run-2.dlq.router');
    expect(inner.published[0]?.record.headers?.[H.topic]).toBe(TOPIC);
    await consumer.stop();
  });

  test('the empty prefix is the bus itself; invalid prefixes are refused', () => {
    const inner = new DrivenBus();
    expect(namespacedBus(inner, topicNamespace(''))).toBe(inner);
    expect(() => topicNamespace('bad prefix')).toThrow(/invalid topic prefix/);
    expect(topicNamespace('p.').localTopic('other.topic')).toBe('other.topic');
  });
});

describe('metrics and lag', () => {
  test('one metric set per registry, shared by the consumers of a process', () => {
    const registry = new Registry();
    expect(workerMetrics(registry)).toBe(workerMetrics(registry));
    expect(workerMetrics(new Registry())).not.toBe(workerMetrics(registry));
  });

  test('the lag sampler writes each partition into the gauge, and keeps the last values while sampling fails', async () => {
    const metrics = new WorkerMetrics(new Registry());
    const { log, lines } = captureLog();
    let answer: PartitionLag[] | Error = [
      { topic: TOPIC, partition: 0, lag: 7 },
      { topic: TOPIC, partition: 1, lag: 0 },
    ];
    const source: LagSource = {
      lag: async (groupId, topics) => {
        expect([groupId, topics]).toEqual([GROUP, [TOPIC]]);
        if (answer instanceof Error) throw answer;
        return answer;
      },
      close: async () => undefined,
    };
    const sampler = startLagSampler({ source, metrics, groupId: GROUP, topics: [TOPIC], intervalMs: 60_000, log });
    await sampler.sample();
    const lagOf = async (partition: string) => (await metrics.lag.get()).values.find((v) => v.labels.partition === partition)?.value;
    expect(await lagOf('0')).toBe(7);
    expect(await lagOf('1')).toBe(0);

    answer = new Error('broker away');
    await sampler.sample();
    await sampler.sample();
    expect(await lagOf('0')).toBe(7);
    expect(lines.filter((l) => l.msg === 'consumer lag sampling failed')).toHaveLength(1);

    answer = [{ topic: TOPIC, partition: 0, lag: 2 }];
    await sampler.sample();
    expect(await lagOf('0')).toBe(2);
    expect(lines.some((l) => l.msg === 'consumer lag sampling works again')).toBe(true);
    sampler.stop();
  });
});
