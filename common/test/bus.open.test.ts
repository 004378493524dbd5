import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { createEmbeddedBus } from '../src/bus/embedded';
import { DataDirLockedError } from '../src/data-dir-lock';
import { openEventBus, type BusConfig } from '../src/bus/open';
import type { BusRecord } from '../src/bus/port';
import { kafkaEnv, loadConfig, serviceEnv } from '../src/config';
import { PLATFORM_TOPICS, TOPICS } from '../src/contracts/topics';
import { createLogger } from '../src/logging';
import { openWorkerBus, workerEnv } from '../src/worker';

const log = createLogger('bus-open-test', process.env.TEST_LOG_LEVEL ?? 'error');

async function waitFor(what: string, predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('openEventBus in the embedded profile', () => {
  let dataRoot: string;
  let config: BusConfig;
  beforeEach(async () => {
    dataRoot = await mkdtemp(path.join(tmpdir(), 'chat4all-open-'));
    config = loadConfig(z.object({ ...serviceEnv, ...kafkaEnv }), { CHAT4ALL_PROFILE: 'embedded', CHAT4ALL_DATA_DIR: dataRoot });
  });
  afterEach(() => rm(dataRoot, { recursive: true, force: true }));

  test('creates every platform topic on open, under a worker prefix too', async () => {
    const bus = await openEventBus(config, log);
    expect(await bus.missingTopics()).toEqual([]);
    const worker = await openWorkerBus({ ...config, ...loadConfig(z.object(workerEnv), { KAFKA_TOPIC_PREFIX: 'run1.' }) }, log);
    expect(await worker.missingTopics()).toEqual([]);
    expect(await bus.missingTopics(PLATFORM_TOPICS.map((t) => `run1.${t}`))).toEqual([]);
    expect(await bus.missingTopics(['run2.messages.accepted'])).toEqual(['embedded bus topic run2.messages.accepted']);
    await worker.close();
    await bus.close();
  });

  test('services of one process share one bus: a record published through one handle reaches a group on another', async () => {
    const producer = await openEventBus(config, log);
    const consumer = await openEventBus(config, log);
    const seen: BusRecord[] = [];
    await consumer.subscribe({ groupId: 'g', topics: [TOPICS.messagesAccepted], fromBeginning: true, handler: async (r) => void seen.push(r) });
    await producer.publish(TOPICS.messagesAccepted, [{ key: 'c1', value: 'hello' }]);
    await waitFor('the record', () => seen.length === 1);
    expect(seen[0]!.value.toString()).toBe('hello');
    await producer.close();
    await consumer.close();
  });

  test('closing one handle stops only its own subscriptions; the last close releases the folder', async () => {
    const a = await openEventBus(config, log);
    const b = await openEventBus(config, log);
    const seenByB: string[] = [];
    await a.subscribe({ groupId: 'a', topics: [TOPICS.messagesStatus], handler: async () => undefined });
    await b.subscribe({ groupId: 'b', topics: [TOPICS.messagesStatus], handler: async (r) => void seenByB.push(r.value.toString()) });
    await a.close();
    // b still works after a closed: the shared bus is open and b's consumer still runs.
    await b.publish(TOPICS.messagesStatus, [{ key: 'c1', value: 'after a closed' }]);
    await waitFor('b to consume', () => seenByB.length === 1);
    // The folder is still held, so another owner is refused…
    expect(() => createEmbeddedBus({ dataDir: path.join(dataRoot, 'bus'), log })).toThrow(DataDirLockedError);
    await b.close();
    // …and free once the last handle closed.
    const next = createEmbeddedBus({ dataDir: path.join(dataRoot, 'bus'), log });
    await next.close();
  });
});
