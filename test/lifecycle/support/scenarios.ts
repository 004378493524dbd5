import { randomUUID } from 'node:crypto';
import { DEAD_LETTER_HEADERS, MessageOutbound, SIGNATURE_HEADER, decodeEvent, encodeRefMetadata, signBody, type Channel, type MessageAccepted, type SimulatedStatus } from '@chat4all/common';
import { messageFromAccepted, type Message } from '@chat4all/messages';
import type { ObservedStatus } from '../../../common/test/support/connector-scenario';
import { postWebhook } from '../../../common/test/support/platform-pair';
import { metricValue, waitFor } from '../../../common/test/support/processes';
import { instagramPlatform } from '../../../connectors/instagram/src/simulator/platform';
import { INSTAGRAM_TEST_ACCOUNT } from '../../../connectors/instagram/test/support/channel';
import { whatsappPlatform } from '../../../connectors/whatsapp/src/simulator/platform';
import { WHATSAPP_TEST_ACCOUNT } from '../../../connectors/whatsapp/test/support/channel';
import { CHANNELS, fullHistory, plannedAccepted, storedMessages, type LifecycleHarness, type SentMessage } from './harness';

/**
 * The lifecycle scenarios every way of running the platform must pass (test/lifecycle/lifecycle.int.test.ts runs them
 * on the real engines and on the embedded platform), and the checks they share.
 */

/** Each scenario waits at most this long for its outcome; start-up and restarts come on top. */
export const OUTCOME_MS = 60_000;
const FINAL = new Set(['READ', 'FAILED']);
export const SOURCE: Record<Channel, string> = { WHATSAPP: 'connector-whatsapp', INSTAGRAM: 'connector-instagram' };

export const channelOf = (message: Pick<SentMessage, 'content'>): Channel => (message.content?.startsWith('@') ? 'INSTAGRAM' : 'WHATSAPP');

function idsByConversation(sent: readonly SentMessage[]): Map<string, string[]> {
  const result = new Map<string, string[]>();
  for (const m of sent) result.set(m.conversationId, [...(result.get(m.conversationId) ?? []), m.messageId]);
  return result;
}

export async function allFinal(h: LifecycleHarness, ids: readonly string[]): Promise<boolean> {
  return (await storedMessages(h.store, ids)).every((m) => m !== null && FINAL.has(m.status));
}

export function statusesOf(h: LifecycleHarness, id: string): ObservedStatus[] {
  return h.statuses.filter((s) => s.messageId === id);
}

/** What every message must look like whatever happened on the way: stored, its history a forward path, each step once, in time order. */
export function expectWellFormed(message: Message | null, id: string): asserts message is Message {
  expect(message?.id).toBe(id);
  const path = message!.statusHistory.map((t) => t.status);
  expect(new Set(path).size).toBe(path.length);
  expect(path[0]).toBe('SENT');
  expect(path.filter((s) => FINAL.has(s)).length).toBeLessThanOrEqual(1);
  const times = message!.statusHistory.map((t) => t.at.getTime());
  expect([...times].sort((a, b) => a - b)).toEqual(times);
}

/** Per conversation, the fully paged history holds exactly the messages sent, once each, newest first. */
export async function expectHistories(h: LifecycleHarness, sent: readonly SentMessage[]): Promise<void> {
  for (const [conversationId, ids] of idsByConversation(sent)) {
    const history = await fullHistory(h.store, conversationId);
    expect(history.map((m) => m.id)).toEqual([...ids].reverse());
  }
}

/** Our message id carried in a platform request's metadata (what the connector sent). */
export const sentMessageId = (metadata: string | undefined): string | undefined => (JSON.parse(metadata ?? '{}') as { m?: string }).m;

/** 200 messages in 8 conversations all reach READ: once each in history, in order on the platforms and the status topic. */
export async function manyMessagesReachRead(h: LifecycleHarness): Promise<void> {
  const explain = () => h.explain();
  const conversations = await h.conversations('life', 8);
  const sent = await h.send(conversations, 25);
  const ids = sent.map((m) => m.messageId);
  expect(new Set(sent.map(channelOf))).toEqual(new Set(CHANNELS));
  await waitFor('every message READ', async () => (await storedMessages(h.store, ids)).every((m) => m?.status === 'READ'), OUTCOME_MS, explain);

  const stored = await storedMessages(h.store, ids);
  stored.forEach((message, i) => {
    expectWellFormed(message, ids[i]!);
    expect(message.statusHistory.map((t) => t.status)).toEqual(['SENT', 'DELIVERED', 'READ']);
    expect(message.channel).toBe(channelOf(sent[i]!));
  });
  await expectHistories(h, sent);

  // Each platform received each of its messages once, per conversation (its chat) in send order.
  for (const channel of CHANNELS) {
    const received = (await h.platformMessages(channel)).filter((m) => conversations.includes(m.recipient));
    expect(received.every((m) => m.requests === 1)).toBe(true);
    for (const conversationId of conversations) {
      const expected = sent.filter((m) => m.conversationId === conversationId && channelOf(m) === channel).map((m) => m.messageId);
      expect(received.filter((m) => m.recipient === conversationId).map((m) => sentMessageId(m.metadata))).toEqual(expected);
    }
  }

  // The status topic: per message the router's SENT (stored) first, then its DELIVERED and the connector's DELIVERED
  // then READ, once each; per conversation one partition, and each source's events of one kind in send order.
  await waitFor('four status events per message', () => ids.every((id) => statusesOf(h, id).length >= 4), 30_000, explain);
  sent.forEach((message) => {
    const observed = statusesOf(h, message.messageId);
    const source = SOURCE[channelOf(message)];
    expect(observed.map((s) => `${s.source}:${s.status}`).sort()).toEqual(['router:SENT', 'router:DELIVERED', `${source}:DELIVERED`, `${source}:READ`].sort());
    expect(`${observed[0]?.source}:${observed[0]?.status}`).toBe('router:SENT');
    expect(observed.filter((s) => s.source === source).map((s) => s.status)).toEqual(['DELIVERED', 'READ']);
  });
  for (const conversationId of conversations) {
    const observed = h.statuses.filter((s) => s.conversationId === conversationId);
    expect(new Set(observed.map((s) => s.partition)).size).toBe(1);
    const own = sent.filter((m) => m.conversationId === conversationId);
    const inOrder = (source: string, status: string) => observed.filter((s) => s.source === source && s.status === status).map((s) => s.messageId);
    expect(inOrder('router', 'SENT')).toEqual(own.map((m) => m.messageId));
    expect(inOrder('router', 'DELIVERED')).toEqual(own.map((m) => m.messageId));
    for (const channel of CHANNELS) {
      const ofChannel = own.filter((m) => channelOf(m) === channel).map((m) => m.messageId);
      expect(inOrder(SOURCE[channel], 'DELIVERED')).toEqual(ofChannel);
      expect(inOrder(SOURCE[channel], 'READ')).toEqual(ofChannel);
    }
  }
}

/** Forged, unsigned, stale and replayed webhooks are refused with their status codes and change no message. */
export async function forgedWebhooksRefused(h: LifecycleHarness): Promise<void> {
  const explain = () => h.explain();
  const [conversationId] = (await h.conversations('hooks', 1)) as [string];
  // Through the whole pipeline, so both connectors have received these messages' real webhooks: '@…' then plain.
  const [viaInstagram, viaWhatsapp] = (await h.send([conversationId], 2)) as [SentMessage, SentMessage];
  expect([channelOf(viaInstagram), channelOf(viaWhatsapp)]).toEqual(['INSTAGRAM', 'WHATSAPP']);
  const routed = [viaInstagram.messageId, viaWhatsapp.messageId];
  await waitFor('both READ, with their status events', async () => (await storedMessages(h.store, routed)).every((m) => m?.status === 'READ') && routed.every((id) => statusesOf(h, id).length === 4), OUTCOME_MS, explain);
  // And one stored as the subgraph stores it but never routed: SENT, so any status a webhook carried would show.
  const [pending] = plannedAccepted([conversationId], 1) as [MessageAccepted];
  await h.store.insert(messageFromAccepted(pending));
  const pendingRef = encodeRefMetadata({ messageId: pending.messageId, conversationId }, 'text');

  const platformId = async (channel: Channel, messageId: string) => (await h.platformMessages(channel)).find((m) => sentMessageId(m.metadata) === messageId)!.id;
  const waId = await platformId('WHATSAPP', viaWhatsapp.messageId);
  const igId = await platformId('INSTAGRAM', viaInstagram.messageId);
  const wa = whatsappPlatform({ apiVersion: 'v21.0', phoneNumberId: WHATSAPP_TEST_ACCOUNT.phoneNumberId });
  const ig = instagramPlatform({ apiVersion: 'v21.0', accountId: INSTAGRAM_TEST_ACCOUNT.accountId });
  const waBody = (id: string, status: SimulatedStatus, metadata: string, at = new Date()) =>
    JSON.stringify(wa.statusWebhook({ platformMessageId: id, status, at, send: { recipient: conversationId, kind: 'text', metadata }, ...(status === 'failed' ? { error: { code: 131026, title: 'Message undeliverable', details: 'forged' } } : {}) }));
  const igBody = (status: SimulatedStatus) => JSON.stringify(ig.statusWebhook({ platformMessageId: igId, status, at: new Date(), send: { recipient: conversationId, kind: 'text' } }));
  const waUrl = `${h.connectorUrl('WHATSAPP')}/webhook`;
  const igUrl = `${h.connectorUrl('INSTAGRAM')}/webhook`;
  const signedBy = (secret: string, body: string) => ({ [SIGNATURE_HEADER]: signBody(secret, body) });
  const waSigned = (body: string) => signedBy(WHATSAPP_TEST_ACCOUNT.appSecret, body);
  const igSigned = (body: string) => signedBy(INSTAGRAM_TEST_ACCOUNT.appSecret, body);
  const rejected = async (channel: Channel) => {
    const text = await h.metrics(channel);
    return Object.fromEntries(['unsigned', 'forged', 'stale', 'replayed'].map((reason) => [reason, metricValue(text, 'webhook_rejected_total', { reason })]));
  };
  const before = { stored: await storedMessages(h.store, routed), events: routed.map((id) => statusesOf(h, id).length), wa: await rejected('WHATSAPP'), ig: await rejected('INSTAGRAM') };

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
  await waitFor('the control READ stored and observed', async () => (await h.store.get(pending.messageId))?.status === 'READ' && statusesOf(h, pending.messageId).length === 2, 30_000, explain);

  const moved = await h.store.get(pending.messageId);
  expectWellFormed(moved, pending.messageId);
  expect(moved.statusHistory.map((t) => t.status)).toEqual(['SENT', 'DELIVERED', 'READ']);
  expect(moved.failureReason).toBeUndefined();
  expect(statusesOf(h, pending.messageId).map((s) => `${s.source}:${s.status}`)).toEqual(['connector-whatsapp:DELIVERED', 'connector-whatsapp:READ']);
  expect(await storedMessages(h.store, routed)).toEqual(before.stored);
  expect(routed.map((id) => statusesOf(h, id).length)).toEqual(before.events);
  // Each refusal is counted under its reason.
  const delta = (now: Record<string, number>, then: Record<string, number>) => Object.fromEntries(Object.keys(now).map((k) => [k, now[k]! - then[k]!]));
  expect(delta(await rejected('WHATSAPP'), before.wa)).toEqual({ unsigned: 1, forged: 2, stale: 1, replayed: 2 });
  expect(delta(await rejected('INSTAGRAM'), before.ig)).toEqual({ unsigned: 1, forged: 1, stale: 0, replayed: 2 });
}

/** With platforms failing 30% of calls every message ends READ or FAILED; each FAILED one says why and is dead-lettered. */
export async function failingPlatformsEndReadOrFailed(h: LifecycleHarness): Promise<void> {
  const explain = () => h.explain();
  await h.reconfigureChannels({
    simulatorEnv: { SIM_FAILURE_RATE: '0.3', SIM_SEED: '4242' },
    // Two attempts per send, so some messages run out of attempts and must end FAILED, not stuck.
    connectorEnv: { WORKER_MAX_ATTEMPTS: '2', CIRCUIT_FAILURE_THRESHOLD: '6' },
  });
  const conversations = await h.conversations('flaky', 8);
  const sent = await h.send(conversations, 25);
  const ids = sent.map((m) => m.messageId);
  await waitFor('every message READ or FAILED', () => allFinal(h, ids), OUTCOME_MS, explain);

  const stored = await storedMessages(h.store, ids);
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
  await expectHistories(h, sent);

  // Every FAILED message is on its connector's dead-letter topic, given up with the reason; no other message is.
  const failedIds = new Set(failed.map((m) => m.id));
  const deadOf = (channel: Channel) => h.deadLetters[channel].map((r) => ({ event: decodeEvent(MessageOutbound, r.value), headers: r.headers }));
  await waitFor('a dead letter per FAILED message', () => CHANNELS.flatMap(deadOf).filter((d) => ids.includes(d.event.message.messageId)).length >= failedIds.size, 30_000, explain);
  for (const channel of CHANNELS) {
    const dead = deadOf(channel).filter((d) => ids.includes(d.event.message.messageId));
    expect(dead.map((d) => d.event.message.messageId).sort()).toEqual(failed.filter((m) => m.channel === channel).map((m) => m.id).sort());
    for (const d of dead) {
      expect(d.event.channel).toBe(channel);
      expect(d.headers[DEAD_LETTER_HEADERS.kind]).toBe('gave-up');
      expect(d.headers[DEAD_LETTER_HEADERS.reason]).toMatch(/HTTP 50[03]/);
    }
    // A FAILED message never reached its platform; a READ one did, once.
    const received = (await h.platformMessages(channel)).map((m) => sentMessageId(m.metadata));
    for (const m of failed.filter((f) => f.channel === channel)) expect(received).not.toContain(m.id);
    for (const m of read.filter((r) => r.channel === channel)) expect(received.filter((id) => id === m.id)).toHaveLength(1);
  }
  expect(new Set(CHANNELS.flatMap(deadOf).map((d) => d.event.message.messageId).filter((id) => failedIds.has(id))).size).toBe(failedIds.size);
  // The FAILED status events carry the reason too.
  for (const id of failedIds) expect(statusesOf(h, id).find((s) => s.status === 'FAILED')?.reason).toMatch(/HTTP 50[03]/);
}
