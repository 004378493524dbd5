import { randomUUID } from 'node:crypto';
import { Client, types } from 'cassandra-driver';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { fixKafkajsRequestQueue } from '../../../common/src/bus/kafkajs-request-queue';
import { forEachBounded } from '../concurrency';
import { runAsLoadProcess } from '../load/process';
import type { RawEnginesResult, RawEnginesSpec } from './spec';

/**
 * The engines' own rates with the pipeline's sizes, as its own process (`node --import tsx raw-engines.ts
 * <spec.json>`): kafkajs producing records the size of a MessageAccepted event, one send per record as the messages
 * subgraph does (idempotent, acks all, keyed by conversation), while a consumer group reads them all; and
 * cassandra-driver inserting rows the size of a message row with a prepared statement. Prints one JSON line.
 */

/** Produces `count` records to `topic`, `batch` per send, while a fresh group consumes them; records per second. */
async function kafkaRate(spec: RawEnginesSpec['kafka'], topic: string, batch: number): Promise<{ perSecond: number; seconds: number }> {
  fixKafkajsRequestQueue(); // the services' kafkajs, so the raw rate is the client they use
  const kafka = new Kafka({ clientId: 'bench-raw', brokers: spec.brokers, logLevel: logLevel.ERROR });
  // The event bus's producer settings (common/src/bus/kafka.ts): idempotent, one request in flight, murmur2 keys.
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  const consumer = kafka.consumer({ groupId: `bench-raw-${randomUUID()}`, maxWaitTimeInMs: 100 });
  await Promise.all([producer.connect(), consumer.connect()]);
  try {
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.subscribe({ topic, fromBeginning: true });
    let consumed = 0;
    let allConsumed!: () => void;
    const done = new Promise<void>((resolve) => (allConsumed = resolve));
    await consumer.run({
      eachMessage: async () => {
        if (++consumed === spec.count) allConsumed();
      },
    });
    // The clock starts once the group holds its partitions: joining is not part of the engine's rate.
    await joined;
    const value = Buffer.alloc(spec.valueBytes, 'x');
    const started = performance.now();
    const sends = Math.ceil(spec.count / batch);
    await forEachBounded(sends, spec.concurrency, async (n) => {
      const messages = Array.from({ length: Math.min(batch, spec.count - n * batch) }, (_, j) => ({ key: `conversation-${(n * batch + j) % spec.keys}`, value }));
      await producer.send({ topic, acks: -1, messages });
    });
    await done;
    const seconds = (performance.now() - started) / 1000;
    return { perSecond: spec.count / seconds, seconds };
  } finally {
    await Promise.all([producer.disconnect(), consumer.disconnect()]);
  }
}

async function cassandraRate(spec: RawEnginesSpec['cassandra']): Promise<{ perSecond: number; seconds: number }> {
  const client = new Client({
    contactPoints: spec.contactPoints,
    localDataCenter: spec.localDataCenter,
    keyspace: spec.keyspace,
    queryOptions: { consistency: types.consistencies.localQuorum, prepare: true, isIdempotent: true },
  });
  await client.connect();
  try {
    const insert = `INSERT INTO messages_by_conversation (conversation_id, bucket, id, sender_id, content, created_at) VALUES (?, ?, ?, ?, ?, ?)`;
    const content = 'x'.repeat(spec.contentChars);
    const conversation = `bench-raw-${randomUUID()}`;
    const started = performance.now();
    await forEachBounded(spec.count, spec.concurrency, async (i) => {
      await client.execute(insert, [conversation, 20_000_101 + (i % 64), randomUUID(), 'bench-raw-sender', content, new Date()]);
    });
    const seconds = (performance.now() - started) / 1000;
    return { perSecond: spec.count / seconds, seconds };
  } finally {
    await client.shutdown();
  }
}

runAsLoadProcess<RawEnginesSpec, RawEnginesResult>('raw-engines.ts', async (spec) => {
  const single = await kafkaRate(spec.kafka, spec.kafka.topics[0], 1);
  const batched = await kafkaRate(spec.kafka, spec.kafka.topics[1], spec.kafka.batch);
  const cassandra = await cassandraRate(spec.cassandra);
  const result: RawEnginesResult = {
    kafkaSinglePerSecond: single.perSecond,
    kafkaBatchedPerSecond: batched.perSecond,
    cassandraPerSecond: cassandra.perSecond,
    seconds: { kafkaSingle: single.seconds, kafkaBatched: batched.seconds, cassandra: cassandra.seconds },
  };
  return result;
});
