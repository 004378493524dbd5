import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { decodeEvent } from '../contracts/events';
import { deadLetterTopic } from '../contracts/topics';
import { UnknownTopicError, type BusRecord, type EventBus, type Reader, type ReadOptions, type RecordHandler, type SubscribeOptions, type Subscription } from './port';
import { DEAD_LETTER_HEADERS } from './dead-letter';

/** What a contract run needs from an adapter: the bus, and a way to create topics (an admin concern, not the port's). */
export interface BusContractContext {
  bus: EventBus;
  createTopic(name: string, partitions: number): Promise<void>;
  /** Runs after the suite, e.g. to delete the topics it created. */
  cleanup?(): Promise<void>;
}

const TEST_TIMEOUT_MS = 60_000;
const WAIT_MS = 30_000;

async function waitFor(what: string, predicate: () => boolean, timeoutMs = WAIT_MS): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const text = (r: BusRecord) => r.value.toString('utf8');

/**
 * The delivery contract of `EventBus` (see `./port.ts`), as jest tests against the port only. Every test uses fresh
 * topic and group names, so runs on a shared broker never see each other's records.
 */
export function describeBusContract(name: string, setup: () => Promise<BusContractContext>): void {
  describe(`EventBus contract: ${name}`, () => {
    let ctx: BusContractContext;
    let bus: EventBus;
    const running: (Subscription | Reader)[] = [];

    beforeAll(async () => {
      ctx = await setup();
      bus = ctx.bus;
    }, TEST_TIMEOUT_MS);

    afterEach(async () => {
      await Promise.all(running.splice(0).map((s) => s.stop()));
    }, TEST_TIMEOUT_MS);

    afterAll(async () => {
      await bus?.close();
      await ctx?.cleanup?.();
    }, TEST_TIMEOUT_MS);

    const unique = (prefix: string) => `contract.${prefix}.${randomUUID().slice(0, 8)}`;

    async function freshTopic(partitions: number): Promise<string> {
      const topic = unique('topic');
      await ctx.createTopic(topic, partitions);
      return topic;
    }

    async function subscribe(options: Omit<SubscribeOptions, 'fromBeginning'> & { fromBeginning?: boolean }): Promise<Subscription> {
      const subscription = await bus.subscribe({ fromBeginning: true, ...options });
      running.push(subscription);
      return subscription;
    }

    async function readAll(options: Omit<ReadOptions, 'handler'>) {
      const records: BusRecord[] = [];
      const reader = await bus.read({ ...options, handler: async (record) => void records.push(record) });
      running.push(reader);
      return { records, reader };
    }

    async function collect(groupId: string, topics: string[], options: Partial<SubscribeOptions> = {}) {
      const records: BusRecord[] = [];
      const handler: RecordHandler = async (record) => {
        records.push(record);
      };
      const subscription = await subscribe({ groupId, topics, handler, ...options });
      return { records, subscription };
    }

    test(
      'delivers published records with their topic, key, value, headers, partition and offset',
      async () => {
        const topic = await freshTopic(3);
        await bus.publish(topic, [
          { key: 'alice', value: Buffer.from('a1'), headers: { 'event-type': 'test', trace: 't-1' } },
          { key: 'bob', value: 'b1' },
          { key: 'alice', value: 'a2' },
        ]);
        const { records } = await collect(unique('group'), [topic]);
        await waitFor('3 records', () => records.length >= 3);
        await new Promise((resolve) => setTimeout(resolve, 300)); // room for an unexpected extra delivery

        expect(records).toHaveLength(3);
        const alice = records.filter((r) => r.key === 'alice');
        const bob = records.filter((r) => r.key === 'bob');
        expect(alice.map(text)).toEqual(['a1', 'a2']);
        expect(bob.map(text)).toEqual(['b1']);
        for (const r of records) {
          expect(r.topic).toBe(topic);
          expect(Buffer.isBuffer(r.value)).toBe(true);
          expect(r.offset).toMatch(/^\d+$/);
        }
        expect(alice[0]!.headers).toMatchObject({ 'event-type': 'test', trace: 't-1' });
        expect(bob[0]!.headers['event-type']).toBeUndefined();
        // Same key, same partition, later offset.
        expect(alice[1]!.partition).toBe(alice[0]!.partition);
        expect(BigInt(alice[1]!.offset)).toBeGreaterThan(BigInt(alice[0]!.offset));
      },
      TEST_TIMEOUT_MS,
    );

    test(
      'commits a record only after its handler succeeded; a consumer stopped while failing leaves it to the next one',
      async () => {
        const topic = await freshTopic(1);
        const groupId = unique('group');
        await bus.publish(
          topic,
          [0, 1, 2, 3, 4].map((n) => ({ key: 'conversation-1', value: `e${n}` })),
        );

        const seenByFirst: string[] = [];
        const first = await subscribe({
          groupId,
          topics: [topic],
          retry: { initialDelayMs: 20, maxDelayMs: 100 },
          handler: async (record) => {
            seenByFirst.push(text(record));
            if (text(record) === 'e2') throw new Error('simulated outage');
          },
        });
        await waitFor('e2 to be retried', () => seenByFirst.filter((v) => v === 'e2').length >= 3);
        await first.stop();
        // Retried in place: nothing behind e2 (same key) was handed over meanwhile.
        expect(seenByFirst.slice(0, 3)).toEqual(['e0', 'e1', 'e2']);
        expect(new Set(seenByFirst.slice(2))).toEqual(new Set(['e2']));

        const { records } = await collect(groupId, [topic]);
        await waitFor('e4 at the second consumer', () => records.some((r) => text(r) === 'e4'));
        // e0 and e1 were committed; e2 never was, so the group's next consumer starts there.
        expect(records.map(text)).toEqual(['e2', 'e3', 'e4']);
      },
      TEST_TIMEOUT_MS,
    );

    test(
      'retries a failing record in place until it succeeds, then commits it',
      async () => {
        const topic = await freshTopic(1);
        const groupId = unique('group');
        await bus.publish(topic, [0, 1, 2].map((n) => ({ key: 'k', value: `e${n}` })));

        const deliveries: string[] = [];
        let failuresLeft = 2;
        const consumer = await subscribe({
          groupId,
          topics: [topic],
          retry: { initialDelayMs: 20, maxDelayMs: 100 },
          handler: async (record) => {
            deliveries.push(text(record));
            if (text(record) === 'e1' && failuresLeft-- > 0) throw new Error('transient');
          },
        });
        await waitFor('e2', () => deliveries.includes('e2'));
        expect(deliveries).toEqual(['e0', 'e1', 'e1', 'e1', 'e2']);
        await consumer.stop();

        // Everything was committed: a new member of the group sees only what is published next.
        const { records } = await collect(groupId, [topic]);
        await bus.publish(topic, [{ key: 'k', value: 'e3' }]);
        await waitFor('e3', () => records.length >= 1);
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(records.map(text)).toEqual(['e3']);
      },
      TEST_TIMEOUT_MS,
    );

    test(
      'stop() waits for the in-flight handler and commits its record',
      async () => {
        const topic = await freshTopic(1);
        const groupId = unique('group');
        await bus.publish(topic, [{ key: 'k', value: 'e0' }, { key: 'k', value: 'e1' }]);

        let release!: () => void;
        const gate = new Promise<void>((resolve) => (release = resolve));
        const handled: string[] = [];
        let entered = false;
        const consumer = await subscribe({
          groupId,
          topics: [topic],
          handler: async (record) => {
            entered = true;
            await gate;
            handled.push(text(record));
          },
        });
        await waitFor('the handler to start', () => entered);
        let stopped = false;
        const stopping = consumer.stop().then(() => (stopped = true));
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(stopped).toBe(false);
        release();
        await stopping;
        expect(handled).toEqual(['e0']); // finished, and nothing new started after stop()

        const { records } = await collect(groupId, [topic]);
        await waitFor('e1 at the next consumer', () => records.length >= 1);
        expect(records.map(text)).toEqual(['e1']);
      },
      TEST_TIMEOUT_MS,
    );

    test(
      'keeps per-key order across many interleaved keys (20 keys x 25 events)',
      async () => {
        const topic = await freshTopic(4);
        const keys = Array.from({ length: 20 }, (_, i) => `conversation-${i}`);
        const perKey = 25;
        const received = new Map<string, number[]>(keys.map((k) => [k, []]));
        await subscribe({
          groupId: unique('group'),
          topics: [topic],
          concurrency: 4,
          handler: async (record) => {
            // Uneven handler time, so partitions handled concurrently finish out of step.
            if (Math.random() < 0.2) await new Promise((resolve) => setTimeout(resolve, 2));
            received.get(record.key)!.push(Number(text(record)));
          },
        });
        // Interleaved: every key's n-th event before any key's (n+1)-th, in five batches.
        for (let batch = 0; batch < 5; batch++) {
          const records = [];
          for (let seq = batch * 5; seq < (batch + 1) * 5; seq++) for (const key of keys) records.push({ key, value: String(seq) });
          await bus.publish(topic, records);
        }
        const total = () => [...received.values()].reduce((n, list) => n + list.length, 0);
        await waitFor(`${keys.length * perKey} records`, () => total() >= keys.length * perKey);
        const expected = Array.from({ length: perKey }, (_, i) => i);
        for (const key of keys) expect({ key, seqs: received.get(key) }).toEqual({ key, seqs: expected });
      },
      TEST_TIMEOUT_MS,
    );

    test(
      'publish calls made without waiting for one another keep their call order per key, and each resolves',
      async () => {
        const topic = await freshTopic(2);
        const keys = ['a', 'b', 'c', 'd', 'e'];
        const perKey = 40;
        const received = new Map<string, number[]>(keys.map((k) => [k, []]));
        await subscribe({ groupId: unique('group'), topics: [topic], handler: async (record) => void received.get(record.key)!.push(Number(text(record))) });
        // What concurrent requests do: one record per call, none awaiting the others (a producer may group them).
        const calls: Promise<void>[] = [];
        for (let seq = 0; seq < perKey; seq++) for (const key of keys) calls.push(bus.publish(topic, [{ key, value: String(seq) }]));
        await Promise.all(calls);
        const total = () => [...received.values()].reduce((n, list) => n + list.length, 0);
        await waitFor(`${keys.length * perKey} records`, () => total() >= keys.length * perKey);
        const expected = Array.from({ length: perKey }, (_, i) => i);
        for (const key of keys) expect({ key, seqs: received.get(key) }).toEqual({ key, seqs: expected });
      },
      TEST_TIMEOUT_MS,
    );

    test(
      'with keyConcurrency, other keys of a partition go on past a failing record, whose key waits; the commit never passes it',
      async () => {
        const topic = await freshTopic(1);
        const groupId = unique('group');
        await bus.publish(topic, [
          { key: 'slow', value: 's1' },
          ...[1, 2, 3, 4, 5].map((n) => ({ key: `fast-${n % 2}`, value: `f${n}` })),
          { key: 'slow', value: 's2' },
        ]);
        const seen: string[] = [];
        const first = await subscribe({
          groupId,
          topics: [topic],
          keyConcurrency: 4,
          retry: { initialDelayMs: 20, maxDelayMs: 100 },
          handler: async (record) => {
            seen.push(text(record));
            if (text(record) === 's1') throw new Error('simulated outage');
          },
        });
        await waitFor('every fast record while s1 fails', () => ['f1', 'f2', 'f3', 'f4', 'f5'].every((v) => seen.includes(v)) && seen.filter((v) => v === 's1').length >= 3);
        await first.stop();
        // Each fast key in its order; s2 never overtook s1.
        expect(seen.filter((v) => ['f1', 'f3', 'f5'].includes(v))).toEqual(['f1', 'f3', 'f5']);
        expect(seen.filter((v) => ['f2', 'f4'].includes(v))).toEqual(['f2', 'f4']);
        expect(seen).not.toContain('s2');

        // s1 was never handled, so the group starts again there: everything after it comes again (at-least-once).
        const { records } = await collect(groupId, [topic]);
        await waitFor('s2 at the next consumer', () => records.some((r) => text(r) === 's2'));
        expect(records.map(text)[0]).toBe('s1');
        expect(new Set(records.map(text))).toEqual(new Set(['s1', 'f1', 'f2', 'f3', 'f4', 'f5', 's2']));
      },
      TEST_TIMEOUT_MS,
    );

    test(
      'with keyConcurrency, records of different keys in one partition are handled at the same time',
      async () => {
        const topic = await freshTopic(1);
        let running = 0;
        let most = 0;
        const done: string[] = [];
        await subscribe({
          groupId: unique('group'),
          topics: [topic],
          keyConcurrency: 3,
          handler: async (record) => {
            running += 1;
            most = Math.max(most, running);
            await new Promise((resolve) => setTimeout(resolve, 50));
            running -= 1;
            done.push(text(record));
          },
        });
        await bus.publish(topic, ['a', 'b', 'c', 'd', 'e', 'f'].map((key) => ({ key, value: key })));
        await waitFor('six records', () => done.length >= 6);
        expect(most).toBe(3);
      },
      TEST_TIMEOUT_MS,
    );

    test(
      'two groups each receive every record',
      async () => {
        const topic = await freshTopic(2);
        const [a, b] = await Promise.all([collect(unique('group-a'), [topic]), collect(unique('group-b'), [topic])]);
        const values = Array.from({ length: 10 }, (_, i) => `v${i}`);
        await bus.publish(topic, values.map((v, i) => ({ key: `key-${i}`, value: v })));
        await waitFor('both groups', () => a.records.length >= 10 && b.records.length >= 10);
        expect(a.records.map(text).sort()).toEqual([...values].sort());
        expect(b.records.map(text).sort()).toEqual([...values].sort());
      },
      TEST_TIMEOUT_MS,
    );

    test(
      'a handler that throws PoisonEventError dead-letters the record to dlq.<group> and moves on',
      async () => {
        const topic = await freshTopic(1);
        const groupId = unique('group');
        await ctx.createTopic(deadLetterTopic(groupId), 1);
        const schema = z.object({ n: z.number() });
        await bus.publish(topic, [
          { key: 'k', value: JSON.stringify({ n: 1 }) },
          { key: 'k', value: 'not json', headers: { trace: 't-9' } },
          { key: 'k', value: JSON.stringify({ n: 'three' }) },
          { key: 'k', value: JSON.stringify({ n: 4 }) },
        ]);
        const decoded: number[] = [];
        await subscribe({ groupId, topics: [topic], handler: async (r) => void decoded.push(decodeEvent(schema, r.value).n) });
        await waitFor('the good records', () => decoded.length >= 2);
        expect(decoded).toEqual([1, 4]);

        const { records: dead } = await collect(unique('dlq-reader'), [deadLetterTopic(groupId)]);
        await waitFor('2 dead letters', () => dead.length >= 2);
        expect(dead.map(text)).toEqual(['not json', JSON.stringify({ n: 'three' })]);
        expect(dead[0]!.key).toBe('k');
        expect(dead[0]!.headers).toMatchObject({
          trace: 't-9',
          [DEAD_LETTER_HEADERS.topic]: topic,
          [DEAD_LETTER_HEADERS.partition]: '0',
          [DEAD_LETTER_HEADERS.offset]: '1',
        });
        expect(dead[0]!.headers[DEAD_LETTER_HEADERS.reason]).toMatch(/not JSON/);
        expect(dead[1]!.headers[DEAD_LETTER_HEADERS.reason]).toMatch(/^n: /);
      },
      TEST_TIMEOUT_MS,
    );

    test(
      'offsets() answers each partition: oldest retained and end (next to be written)',
      async () => {
        const topic = await freshTopic(3);
        expect(await bus.offsets(topic)).toEqual([0, 1, 2].map((partition) => ({ partition, oldest: '0', end: '0' })));
        await bus.publish(topic, [{ key: 'k', value: 'a' }, { key: 'k', value: 'b' }, { key: 'k', value: 'c' }]);
        const { records } = await readAll({ topic, from: { 0: '0', 1: '0', 2: '0' } });
        await waitFor('3 records', () => records.length >= 3);
        const partition = records[0]!.partition;
        const offsets = await bus.offsets(topic);
        expect(offsets.map((o) => o.partition)).toEqual([0, 1, 2]);
        for (const o of offsets) expect(o).toEqual({ partition: o.partition, oldest: '0', end: o.partition === partition ? '3' : '0' });
      },
      TEST_TIMEOUT_MS,
    );

    test(
      'read() starts at the given offsets, and at the end offset for partitions not named',
      async () => {
        const topic = await freshTopic(2);
        // Two keys on two different partitions, found by reading everything once.
        const keys = Array.from({ length: 20 }, (_, i) => `key-${i}`);
        await bus.publish(topic, keys.map((key) => ({ key, value: `${key}:probe` })));
        const { records: probe, reader } = await readAll({ topic, from: { 0: '0', 1: '0' } });
        await waitFor('the probe', () => probe.length >= keys.length);
        await reader.stop();
        const onPartition = (p: number) => probe.find((r) => r.partition === p)!.key;
        const [k0, k1] = [onPartition(0), onPartition(1)];
        await bus.publish(topic, [0, 1, 2].flatMap((n) => [{ key: k0, value: `${k0}:${n}` }, { key: k1, value: `${k1}:${n}` }]));
        const before = await bus.offsets(topic);
        const start0 = String(BigInt(before[0]!.end) - 2n); // the last two of partition 0; nothing old of partition 1

        const { records } = await readAll({ topic, from: { 0: start0 } });
        await bus.publish(topic, [{ key: k1, value: `${k1}:live` }, { key: k0, value: `${k0}:live` }]);
        await waitFor('4 records', () => records.length >= 4);
        await new Promise((resolve) => setTimeout(resolve, 300)); // room for an unexpected extra delivery
        expect(records.filter((r) => r.partition === 0).map(text)).toEqual([`${k0}:1`, `${k0}:2`, `${k0}:live`]);
        expect(records.filter((r) => r.partition === 1).map(text)).toEqual([`${k1}:live`]);
        expect(records.find((r) => r.partition === 0)!.offset).toBe(start0);
      },
      TEST_TIMEOUT_MS,
    );

    test(
      'read() at the live edge gets only records published after it resolved, each partition in order; it commits nothing',
      async () => {
        const topic = await freshTopic(3);
        await bus.publish(topic, [{ key: 'old', value: 'old' }]);
        const { records } = await readAll({ topic });
        const { records: second } = await readAll({ topic });
        const keys = Array.from({ length: 6 }, (_, i) => `k${i}`);
        for (let seq = 0; seq < 10; seq++) await bus.publish(topic, keys.map((key) => ({ key, value: `${key}:${seq}` })));
        await waitFor('60 records at both readers', () => records.length >= 60 && second.length >= 60);
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(records).toHaveLength(60);
        expect(second).toHaveLength(60); // no group: each reader gets everything
        for (const key of keys) {
          expect(records.filter((r) => r.key === key).map(text)).toEqual(Array.from({ length: 10 }, (_, seq) => `${key}:${seq}`));
        }
        for (const p of new Set(records.map((r) => r.partition))) {
          const offsets = records.filter((r) => r.partition === p).map((r) => BigInt(r.offset));
          expect(offsets).toEqual([...offsets].sort((a, b) => (a < b ? -1 : 1)));
        }
      },
      TEST_TIMEOUT_MS,
    );

    test(
      'a reader whose handler throws goes on; after stop() its handler is not called again',
      async () => {
        const topic = await freshTopic(1);
        const seen: string[] = [];
        const reader = await bus.read({
          topic,
          handler: async (record) => {
            seen.push(text(record));
            if (text(record) === 'e1') throw new Error('handler bug (test)');
          },
        });
        running.push(reader);
        await bus.publish(topic, [0, 1, 2].map((n) => ({ key: 'k', value: `e${n}` })));
        await waitFor('e2', () => seen.includes('e2'));
        expect(seen).toEqual(['e0', 'e1', 'e2']);
        await reader.stop();
        await bus.publish(topic, [{ key: 'k', value: 'e3' }]);
        await new Promise((resolve) => setTimeout(resolve, 500));
        expect(seen).toEqual(['e0', 'e1', 'e2']);
      },
      TEST_TIMEOUT_MS,
    );

    test(
      'publishing, subscribing, reading or asking offsets of a topic that does not exist fails at once with UnknownTopicError',
      async () => {
        const missing = unique('missing');
        const started = Date.now();
        const publish = bus.publish(missing, [{ key: 'k', value: 'v' }]);
        await expect(publish).rejects.toThrow(UnknownTopicError);
        await expect(publish).rejects.toThrow(missing);
        const subscribing = bus.subscribe({ groupId: unique('group'), topics: [missing], handler: async () => undefined });
        await expect(subscribing).rejects.toThrow(UnknownTopicError);
        await expect(bus.offsets(missing)).rejects.toThrow(UnknownTopicError);
        await expect(bus.read({ topic: missing, handler: async () => undefined })).rejects.toThrow(UnknownTopicError);
        expect(Date.now() - started).toBeLessThan(5_000);
      },
      TEST_TIMEOUT_MS,
    );
  });
}
