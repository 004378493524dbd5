import { randomUUID } from 'node:crypto';
import {
  DEAD_LETTER_HEADERS,
  MessageOutbound,
  SIGNATURE_HEADER,
  decodeEvent,
  encodeRefMetadata,
  signBody,
  type Channel,
  type MessageAccepted,
  type SimulatedStatus,
} from '@chat4all/common';
import { messageFromAccepted, type Message } from '@chat4all/messages';
import type { ObservedStatus } from '../../common/test/support/connector-scenario';
import { postWebhook } from '../../common/test/support/platform-pair';
import { metricSeries, metricValue, waitFor } from '../../common/test/support/processes';
import { instagramPlatform } from '../../connectors/instagram/src/simulator/platform';
import { INSTAGRAM_TEST_ACCOUNT } from '../../connectors/instagram/test/support/channel';
import { whatsappPlatform } from '../../connectors/whatsapp/src/simulator/platform';
import { WHATSAPP_TEST_ACCOUNT } from '../../connectors/whatsapp/test/support/channel';
import { CHANNELS, Pipeline } from './support/pipeline';

// Each scenario waits at most 60 s for its outcome; start-up and restarts come on top.
jest.setTimeout(180_000);
const OUTCOME_MS = 60_000;

const FINAL = new Set(['READ', 'FAILED']);
const SOURCE: Record<Channel, string> = { WHATSAPP: 'connector-whatsapp', INSTAGRAM: 'connector-instagram' };

/** One pipeline (one topic prefix, one keyspace) for the whole file; the scenarios use fresh conversations. */
let pipeline: Pipeline;
beforeAll(async () => {
  pipeline = await Pipeline.start();
});
afterAll(async () => {
  await pipeline?.close();
});

const explain = () => pipeline.explain();

function freshConversations(label: string, count: number): string[] {
  const run = randomUUID().slice(0, 8);
  return Array.from({ length: count }, (_, i) => `${label}-${i}-${run}`);
}

const channelOf = (event: MessageAccepted): Channel => (event.content?.startsWith('@') ? 'INSTAGRAM' : 'WHATSAPP');

function idsByConversation(events: readonly MessageAccepted[]): Map<string, string[]> {
  const result = new Map<string, string[]>();
  for (const e of events) result.set(e.conversationId, [...(result.get(e.conversationId) ?? []), e.messageId]);
  return result;
}

async function allFinal(ids: readonly string[]): Promise<boolean> {
  return (await pipeline.stored(ids)).every((m) => m !== null && FINAL.has(m.status));
}

function statusesOf(id: string): ObservedStatus[] {
  return pipeline.statuses.filter((s) => s.messageId === id);
}

/** What every message must look like whatever happened on the way: stored, its history a forward path, each step once, in time order. */
function expectWellFormed(message: Message | null, id: string): asserts message is Message {
  expect(message?.id).toBe(id);
  const path = message!.statusHistory.map((t) => t.status);
  expect(new Set(path).size).toBe(path.length);
  expect(path[0]).toBe('SENT');
  expect(path.filter((s) => FINAL.has(s)).length).toBeLessThanOrEqual(1);
  const times = message!.statusHistory.map((t) => t.at.getTime());
  expect([...times].sort((a, b) => a - b)).toEqual(times);
}

/** Per conversation, the fully paged history holds exactly the messages sent, once each, newest first. */
async function expectHistories(events: readonly MessageAccepted[]): Promise<void> {
  for (const [conversationId, ids] of idsByConversation(events)) {
    const history = await pipeline.history(conversationId);
    expect(history.map((m) => m.id)).toEqual([...ids].reverse());
  }
}

/** Our message id carried in a platform request's metadata (what the connector sent). */
const sentMessageId = (metadata: string | undefined): string | undefined => (JSON.parse(metadata ?? '{}') as { m?: string }).m;

test('200 messages in 8 conversations all reach READ: once each in history, in order on the platforms and the status topic', async () => {
  const conversations = freshConversations('life', 8);
  const events = pipeline.accepted(conversations, 25);
  const ids = events.map((e) => e.messageId);
  expect(new Set(events.map(channelOf))).toEqual(new Set(CHANNELS));
  // As the subgraph does: produce, then store its own copy (without a channel) beside the router's write.
  await pipeline.publish(events, { storeCopy: true });
  await waitFor('every message READ', async () => (await pipeline.stored(ids)).every((m) => m?.status === 'READ'), OUTCOME_MS, explain);

  const stored = await pipeline.stored(ids);
  stored.forEach((message, i) => {
    expectWellFormed(message, ids[i]!);
    expect(message.statusHistory.map((t) => t.status)).toEqual(['SENT', 'DELIVERED', 'READ']);
    expect(message.channel).toBe(channelOf(events[i]!));
  });
  await expectHistories(events);

  // Each platform received each of its messages once, per conversation (its chat) in send order.
  for (const channel of CHANNELS) {
    const received = (await pipeline.platformMessages(channel)).filter((m) => conversations.includes(m.recipient));
    expect(received.every((m) => m.requests === 1)).toBe(true);
    for (const conversationId of conversations) {
      const expected = events.filter((e) => e.conversationId === conversationId && channelOf(e) === channel).map((e) => e.messageId);
      expect(received.filter((m) => m.recipient === conversationId).map((m) => sentMessageId(m.metadata))).toEqual(expected);
    }
  }

  // The status topic: per message the router's SENT (stored) first, then its DELIVERED and the connector's DELIVERED
  // then READ, once each; per conversation one partition, and each source's events of one kind in send order.
  await waitFor('four status events per message', () => ids.every((id) => statusesOf(id).length >= 4), 30_000, explain);
  events.forEach((event) => {
    const observed = statusesOf(event.messageId);
    const source = SOURCE[channelOf(event)];
    expect(observed.map((s) => `${s.source}:${s.status}`).sort()).toEqual(['router:SENT', 'router:DELIVERED', `${source}:DELIVERED`, `${source}:READ`].sort());
    expect(`${observed[0]?.source}:${observed[0]?.status}`).toBe('router:SENT');
    expect(observed.filter((s) => s.source === source).map((s) => s.status)).toEqual(['DELIVERED', 'READ']);
  });
  for (const conversationId of conversations) {
    const observed = pipeline.statuses.filter((s) => s.conversationId === conversationId);
    expect(new Set(observed.map((s) => s.partition)).size).toBe(1);
    const sent = events.filter((e) => e.conversationId === conversationId);
    const inOrder = (source: string, status: string) => observed.filter((s) => s.source === source && s.status === status).map((s) => s.messageId);
    expect(inOrder('router', 'SENT')).toEqual(sent.map((e) => e.messageId));
    expect(inOrder('router', 'DELIVERED')).toEqual(sent.map((e) => e.messageId));
    for (const channel of CHANNELS) {
      const ofChannel = sent.filter((e) => channelOf(e) === channel).map((e) => e.messageId);
      expect(inOrder(SOURCE[channel], 'DELIVERED')).toEqual(ofChannel);
      expect(inOrder(SOURCE[channel], 'READ')).toEqual(ofChannel);
    }
  }
});

test('forged, unsigned, stale and replayed webhooks are refused with their status codes and change no message', async () => {
  const [conversationId] = freshConversations('hooks', 1) as [string];
  // Through the whole pipeline, so both connectors have received these messages' real webhooks: '@…' then plain.
  const [viaInstagram, viaWhatsapp] = pipeline.accepted([conversationId], 2) as [MessageAccepted, MessageAccepted];
  expect([channelOf(viaInstagram), channelOf(viaWhatsapp)]).toEqual(['INSTAGRAM', 'WHATSAPP']);
  await pipeline.publish([viaInstagram, viaWhatsapp]);
  const routed = [viaInstagram.messageId, viaWhatsapp.messageId];
  await waitFor('both READ, with their status events', async () => (await pipeline.stored(routed)).every((m) => m?.status === 'READ') && routed.every((id) => statusesOf(id).length === 4), OUTCOME_MS, explain);
  // And one the subgraph has stored but no worker has routed: SENT, so any status a webhook carried would show.
  const [pending] = pipeline.accepted([conversationId], 1) as [MessageAccepted];
  await pipeline.store.insert(messageFromAccepted(pending));
  const pendingRef = encodeRefMetadata({ messageId: pending.messageId, conversationId }, 'text');

  const platformId = async (channel: Channel, messageId: string) => (await pipeline.platformMessages(channel)).find((m) => sentMessageId(m.metadata) === messageId)!.id;
  const waId = await platformId('WHATSAPP', viaWhatsapp.messageId);
  const igId = await platformId('INSTAGRAM', viaInstagram.messageId);
  const wa = whatsappPlatform({ apiVersion: 'v21.0', phoneNumberId: WHATSAPP_TEST_ACCOUNT.phoneNumberId });
  const ig = instagramPlatform({ apiVersion: 'v21.0', accountId: INSTAGRAM_TEST_ACCOUNT.accountId });
  const waBody = (id: string, status: SimulatedStatus, metadata: string, at = new Date()) =>
    JSON.stringify(wa.statusWebhook({ platformMessageId: id, status, at, send: { recipient: conversationId, kind: 'text', metadata }, ...(status === 'failed' ? { error: { code: 131026, title: 'Message undeliverable', details: 'forged' } } : {}) }));
  const igBody = (status: SimulatedStatus) => JSON.stringify(ig.statusWebhook({ platformMessageId: igId, status, at: new Date(), send: { recipient: conversationId, kind: 'text' } }));
  const waUrl = `${pipeline.connectorUrl('WHATSAPP')}/webhook`;
  const igUrl = `${pipeline.connectorUrl('INSTAGRAM')}/webhook`;
  const signedBy = (secret: string, body: string) => ({ [SIGNATURE_HEADER]: signBody(secret, body) });
  const waSigned = (body: string) => signedBy(WHATSAPP_TEST_ACCOUNT.appSecret, body);
  const igSigned = (body: string) => signedBy(INSTAGRAM_TEST_ACCOUNT.appSecret, body);
  const rejected = async (channel: Channel) => {
    const text = await pipeline.metrics(channel);
    return Object.fromEntries(['unsigned', 'forged', 'stale', 'replayed'].map((reason) => [reason, metricValue(text, 'webhook_rejected_total', { reason })]));
  };
  const before = { stored: await pipeline.stored(routed), events: routed.map((id) => statusesOf(id).length), wa: await rejected('WHATSAPP'), ig: await rejected('INSTAGRAM') };

  const fakeWamid = `wamid.forged-${randomUUID()}`;
  const read = waBody(fakeWamid, 'read', pendingRef);
  expect(await postWebhook(waUrl, read)).toBe(401); // unsigned
  const failed = waBody(fakeWamid, 'failed', pendingRef);
  expect(await postWebhook(waUrl, failed, signedBy('guessed-app-secret', failed))).toBe(403); // signed with another secret
  expect(await postWebhook(waUrl, read, waSigned(waBody(fakeWamid, 'delivered', pendingRef)))).toBe(403); // body changed after signing
  const old = waBody(fakeWamid, 'read', pendingRef, new Date(Date.now() - 3_600_000));
  expect(await postWebhook(waUrl, old, waSigned(old))).toBe(409); // signed, but stamped outside the window
  // Correctly signed copies of events the platform already delivered.
  const waMetadata = encodeRefMetadata({ messageId: viaWhatsapp.messageId, conversationId }, 'text');
  const waReplay = waBody(waId, 'read', waMetadata);
  expect(await postWebhook(waUrl, waReplay, waSigned(waReplay))).toBe(409);
  const igRead = igBody('read');
  expect(await postWebhook(igUrl, igRead)).toBe(401);
  expect(await postWebhook(igUrl, igRead, signedBy('guessed-app-secret', igRead))).toBe(403);
  expect(await postWebhook(igUrl, igRead, igSigned(igRead))).toBe(409);
  const igDelivered = igBody('delivered');
  expect(await postWebhook(igUrl, igDelivered, igSigned(igDelivered))).toBe(409);

  // Control: the same path with a good signature does move the pending message, and a replay of that call does not.
  const delivered = waBody(fakeWamid, 'delivered', pendingRef);
  expect(await postWebhook(waUrl, delivered, waSigned(delivered))).toBe(200);
  expect(await postWebhook(waUrl, delivered, waSigned(delivered))).toBe(409);
  // Last, a READ on the same conversation (one partition): once it is seen, anything the refused calls had published would be too.
  const lastRead = waBody(fakeWamid, 'read', pendingRef);
  expect(await postWebhook(waUrl, lastRead, waSigned(lastRead))).toBe(200);
  await waitFor('the control READ stored and observed', async () => (await pipeline.store.get(pending.messageId))?.status === 'READ' && statusesOf(pending.messageId).length === 2, 30_000, explain);

  const moved = await pipeline.store.get(pending.messageId);
  expectWellFormed(moved, pending.messageId);
  expect(moved.statusHistory.map((t) => t.status)).toEqual(['SENT', 'DELIVERED', 'READ']);
  expect(moved.failureReason).toBeUndefined();
  expect(statusesOf(pending.messageId).map((s) => `${s.source}:${s.status}`)).toEqual(['connector-whatsapp:DELIVERED', 'connector-whatsapp:READ']);
  expect(await pipeline.stored(routed)).toEqual(before.stored);
  expect(routed.map((id) => statusesOf(id).length)).toEqual(before.events);
  // Each refusal is counted under its reason.
  const delta = (now: Record<string, number>, then: Record<string, number>) => Object.fromEntries(Object.keys(now).map((k) => [k, now[k]! - then[k]!]));
  expect(delta(await rejected('WHATSAPP'), before.wa)).toEqual({ unsigned: 1, forged: 2, stale: 1, replayed: 2 });
  expect(delta(await rejected('INSTAGRAM'), before.ig)).toEqual({ unsigned: 1, forged: 1, stale: 0, replayed: 2 });
});

test('kill -9 of the router and the WhatsApp connector mid-burst: all 200 end READ, none lost, none sent or stored twice', async () => {
  const conversations = freshConversations('kill', 8);
  const events = pipeline.accepted(conversations, 25);
  const ids = events.map((e) => e.messageId);
  const whatsappSends = events.filter((e) => channelOf(e) === 'WHATSAPP');
  const statsBefore = await pipeline.simulatorStats('WHATSAPP');
  await pipeline.publish(events);
  await waitFor('part of the burst READ', async () => (await pipeline.stored(ids)).filter((m) => m?.status === 'READ').length >= 20, OUTCOME_MS, explain);
  const [router, connector] = await Promise.all([pipeline.router.process.kill9(), pipeline.connectors.WHATSAPP.kill9()]);
  expect([router.signal, connector.signal]).toEqual(['SIGKILL', 'SIGKILL']);
  const finalAtKill = (await pipeline.stored(ids)).filter((m) => m !== null && FINAL.has(m.status)).length;
  expect(finalAtKill).toBeLessThan(ids.length); // the kill interrupted the burst

  await pipeline.restartStopped();
  await waitFor('every message READ or FAILED after the restart', () => allFinal(ids), OUTCOME_MS, explain);

  const stored = await pipeline.stored(ids);
  stored.forEach((message, i) => expectWellFormed(message, ids[i]!));
  // No platform failures were injected, so every message made it all the way.
  expect(stored.map((m) => m!.status)).toEqual(ids.map(() => 'READ'));
  await expectHistories(events);
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

test('with platforms failing 30% of calls every message ends READ or FAILED; each FAILED one says why and is dead-lettered', async () => {
  await pipeline.reconfigureChannels({
    simulatorEnv: { SIM_FAILURE_RATE: '0.3', SIM_SEED: '4242' },
    // Two attempts per send, so some messages run out of attempts and must end FAILED, not stuck.
    connectorEnv: { WORKER_MAX_ATTEMPTS: '2', CIRCUIT_FAILURE_THRESHOLD: '6' },
  });
  const conversations = freshConversations('flaky', 8);
  const events = pipeline.accepted(conversations, 25);
  const ids = events.map((e) => e.messageId);
  await pipeline.publish(events);
  await waitFor('every message READ or FAILED', () => allFinal(ids), OUTCOME_MS, explain);

  const stored = await pipeline.stored(ids);
  stored.forEach((message, i) => expectWellFormed(message, ids[i]!));
  const failed = stored.filter((m) => m!.status === 'FAILED').map((m) => m!);
  const read = stored.filter((m) => m!.status === 'READ').map((m) => m!);
  expect(failed.length + read.length).toBe(ids.length);
  // About 9% run out of attempts (0.3²): some do, most do not.
  expect(read.length).toBeGreaterThan(ids.length / 2);
  expect(failed.length).toBeGreaterThan(0);
  for (const m of read) expect(m.statusHistory.map((t) => t.status)).toEqual(['SENT', 'DELIVERED', 'READ']);
  for (const m of failed) {
    expect(m.statusHistory.map((t) => t.status)).toEqual(['SENT', 'DELIVERED', 'FAILED']);
    expect(m.failureReason).toMatch(/HTTP 50[03]/);
  }
  await expectHistories(events);

  // Every FAILED message is on its connector's dead-letter topic, given up with the reason; no other message is.
  const failedIds = new Set(failed.map((m) => m.id));
  await waitFor('a dead letter per FAILED message', () => CHANNELS.flatMap((c) => pipeline.deadLetters[c]).filter((r) => ids.includes(decodeEvent(MessageOutbound, r.value).message.messageId)).length >= failedIds.size, 30_000, explain);
  for (const channel of CHANNELS) {
    const dead = pipeline.deadLetters[channel].map((r) => ({ event: decodeEvent(MessageOutbound, r.value), headers: r.headers })).filter((d) => ids.includes(d.event.message.messageId));
    expect(dead.map((d) => d.event.message.messageId).sort()).toEqual(failed.filter((m) => m.channel === channel).map((m) => m.id).sort());
    for (const d of dead) {
      expect(d.event.channel).toBe(channel);
      expect(d.headers[DEAD_LETTER_HEADERS.kind]).toBe('gave-up');
      expect(d.headers[DEAD_LETTER_HEADERS.reason]).toMatch(/HTTP 50[03]/);
    }
    // A FAILED message never reached its platform; a READ one did, once.
    const received = (await pipeline.platformMessages(channel)).map((m) => sentMessageId(m.metadata));
    for (const m of failed.filter((f) => f.channel === channel)) expect(received).not.toContain(m.id);
    for (const m of read.filter((r) => r.channel === channel)) expect(received.filter((id) => id === m.id)).toHaveLength(1);
  }
  expect(new Set(CHANNELS.flatMap((c) => pipeline.deadLetters[c]).map((r) => decodeEvent(MessageOutbound, r.value).message.messageId).filter((id) => failedIds.has(id))).size).toBe(failedIds.size);
  // The FAILED status events carry the reason too.
  for (const id of failedIds) expect(statusesOf(id).find((s) => s.status === 'FAILED')?.reason).toMatch(/HTTP 50[03]/);
});

test('after the run, router and connectors show processed counts and drained lag gauges on /metrics', async () => {
  const groups = { router: ['router', 'status-persister'], WHATSAPP: ['connector-whatsapp'], INSTAGRAM: ['connector-instagram'] } as const;
  const lag = 'chat4all_worker_consumer_lag';
  await waitFor('every group lag sampled on each of its 3 partitions and drained to 0', async () => {
    for (const [service, names] of Object.entries(groups) as ['router' | Channel, readonly string[]][]) {
      const text = await pipeline.metrics(service);
      if (!names.every((group) => metricSeries(text, lag, { group }) === 3 && metricValue(text, lag, { group }) === 0)) return false;
    }
    return true;
  }, 30_000, explain);

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
