import type { Channel } from '@chat4all/common';
import { metricSeries, metricValue, waitFor } from '../../common/test/support/processes';
import { STACK_MODES } from '../e2e/support/stack';
import { EmbeddedPipeline } from './support/embedded-pipeline';
import { CHANNELS, plannedAccepted, storedMessages, type LifecycleHarness } from './support/harness';
import { Pipeline } from './support/pipeline';
import {
  OUTCOME_MS,
  SOURCE,
  allFinal,
  channelOf,
  expectHistories,
  expectWellFormed,
  failingPlatformsEndReadOrFailed,
  forgedWebhooksRefused,
  manyMessagesReachRead,
  sentMessageId,
} from './support/scenarios';

/**
 * The message lifecycle behind the API, once per stack mode: on the real engines (router, connectors and simulators
 * each a process, on Kafka and Cassandra) and on the embedded platform (`npm start`'s one process, the simulators
 * beside it). The shared scenarios are in ./support/scenarios.ts. Two need a worker per process and run on the
 * engines only: killing the router and one connector mid-burst (the embedded platform's crash and restart is
 * embedded-restart.int.test.ts), and the per-worker metrics that follow it.
 */
// Each scenario waits at most OUTCOME_MS for its outcome; start-up and restarts come on top.
jest.setTimeout(180_000);

describe.each(STACK_MODES)('the message lifecycle (%s)', (mode) => {
  /** One platform for the whole mode; the scenarios use fresh conversations. */
  let harness: LifecycleHarness | undefined;
  let engines: Pipeline | undefined;
  beforeAll(async () => {
    if (mode === 'engines') harness = engines = await Pipeline.start();
    else harness = await EmbeddedPipeline.start();
  });
  afterAll(async () => {
    await harness?.close();
  });

  test('200 messages in 8 conversations all reach READ: once each in history, in order on the platforms and the status topic', () => manyMessagesReachRead(harness!));

  test('forged, unsigned, stale and replayed webhooks are refused with their status codes and change no message', () => forgedWebhooksRefused(harness!));

  if (mode === 'engines') {
    test('kill -9 of the router and the WhatsApp connector mid-burst: all 200 end READ, none lost, none sent or stored twice', async () => {
      const pipeline = engines!;
      const explain = () => pipeline.explain();
      const conversations = await pipeline.conversations('kill', 8);
      const events = plannedAccepted(conversations, 25);
      const ids = events.map((e) => e.messageId);
      const whatsappSends = events.filter((e) => channelOf(e) === 'WHATSAPP');
      const statsBefore = await pipeline.simulatorStats('WHATSAPP');
      // Half the burst, then the kill as soon as part of it is READ (the rest of that half is under way), then the other
      // half while the router and connector are down: on a fast machine the whole first half can be READ before the
      // kill lands, and the second half makes sure the restart has records to pick up either way.
      const half = events.length / 2;
      await pipeline.publish(events.slice(0, half));
      await waitFor('part of the burst READ', async () => (await storedMessages(pipeline.store, ids)).filter((m) => m?.status === 'READ').length >= 20, OUTCOME_MS, explain);
      const [router, connector] = await Promise.all([pipeline.router.process.kill9(), pipeline.connectors.WHATSAPP.kill9()]);
      expect([router.signal, connector.signal]).toEqual(['SIGKILL', 'SIGKILL']);
      await pipeline.publish(events.slice(half));
      const finalAtKill = (await storedMessages(pipeline.store, ids)).filter((m) => m !== null && (m.status === 'READ' || m.status === 'FAILED')).length;
      expect(finalAtKill).toBeLessThan(ids.length); // the kill interrupted the burst

      await pipeline.restartStopped();
      await waitFor('every message READ or FAILED after the restart', () => allFinal(pipeline, ids), OUTCOME_MS, explain);

      const stored = await storedMessages(pipeline.store, ids);
      stored.forEach((message, i) => expectWellFormed(message, ids[i]!));
      // No platform failures were injected, so every message made it all the way.
      expect(stored.map((m) => m!.status)).toEqual(ids.map(() => 'READ'));
      await expectHistories(pipeline, events);
      // A redelivered send carries the same idempotency key: the platform accepted each message once, in send order.
      const received = (await pipeline.platformMessages('WHATSAPP')).filter((m) => conversations.includes(m.recipient));
      expect(received.map((m) => sentMessageId(m.metadata)).sort()).toEqual(whatsappSends.map((e) => e.messageId).sort());
      for (const conversationId of conversations) {
        const expected = whatsappSends.filter((e) => e.conversationId === conversationId).map((e) => e.messageId);
        expect(received.filter((m) => m.recipient === conversationId).map((m) => sentMessageId(m.metadata))).toEqual(expected);
      }
      const statsAfter = await pipeline.simulatorStats('WHATSAPP');
      expect(statsAfter.sends.accepted - statsBefore.sends.accepted).toBe(whatsappSends.length);
    });
  }

  test('with platforms failing 30% of calls every message ends READ or FAILED; each FAILED one says why and is dead-lettered', () => failingPlatformsEndReadOrFailed(harness!));

  if (mode === 'engines') {
    test('after the run, router and connectors show processed counts and drained lag gauges on /metrics', async () => {
      const pipeline = engines!;
      const groups = { router: ['router', 'status-persister'], WHATSAPP: ['connector-whatsapp'], INSTAGRAM: ['connector-instagram'] } as const;
      const lag = 'chat4all_worker_consumer_lag';
      await waitFor('every group lag sampled on each of its 3 partitions and drained to 0', async () => {
        for (const [service, names] of Object.entries(groups) as ['router' | Channel, readonly string[]][]) {
          const text = await pipeline.metrics(service);
          if (!names.every((group) => metricSeries(text, lag, { group }) === 3 && metricValue(text, lag, { group }) === 0)) return false;
        }
        return true;
      }, 30_000, () => pipeline.explain());

      // Counters count since each process started: the router since the kill, the connectors since the reconfiguration.
      const router = await pipeline.metrics('router');
      expect(metricValue(router, 'chat4all_worker_records_processed_total', { group: 'router', topic: 'messages.accepted' })).toBeGreaterThanOrEqual(200);
      expect(metricValue(router, 'chat4all_worker_records_processed_total', { group: 'status-persister', topic: 'messages.status' })).toBeGreaterThanOrEqual(200);
      for (const channel of CHANNELS) {
        const text = await pipeline.metrics(channel);
        const group = SOURCE[channel];
        expect(metricValue(text, 'chat4all_worker_records_processed_total', { group, topic: `messages.outbound.${channel.toLowerCase()}` })).toBeGreaterThan(0);
        expect(metricValue(text, 'connector_messages_total', { channel, outcome: 'sent' })).toBeGreaterThan(0);
        expect(metricValue(text, 'connector_messages_total', { channel, outcome: 'failed' })).toBeGreaterThan(0);
        expect(metricValue(text, 'connector_platform_calls_total', { channel, result: 'retriable' })).toBeGreaterThan(0);
      }
    });
  }
});
