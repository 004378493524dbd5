import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import {
  EVENT_VERSION,
  MessageAccepted,
  TOPICS,
  createKafkaBus,
  createLogger,
  PoisonEventError,
  deadLetterTopic,
  deleteTopics,
  encodeEvent,
  followMembershipChanges,
  ensureTopics,
  kafkaEnv,
  loadConfig,
  migrateKafka,
  newUuidV7,
  type BusRecord,
  type EventBus,
  type MembershipChangeNotice,
} from '@chat4all/common';
import type { Conversation, User } from '../src/store/port';
import { activityHandler } from '../src/events/activity';
import { startUsersHarness, type UsersHarness } from './support/service';
import { requireKafka } from '../../../common/test/support/kafka';
import { waitFor } from '../../../common/test/support/processes';

// The activity consumer on real Kafka and PostgreSQL: an accepted message moves its conversation's lastActivityAt,
// and the conversation rises to the top of `conversations`. And the other way: membership changes announced on Kafka.

const kafka = loadConfig(z.object(kafkaEnv));
const log = createLogger('users-activity-test', process.env.TEST_LOG_LEVEL ?? 'error');


let h: UsersHarness;
let bus: EventBus;
const groupId = `users-activity-test-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  await requireKafka();
  // The topic is the platform's; `npm run migrate` makes it, and so does this (idempotently).
  await migrateKafka(kafka, { info: () => undefined, warn: () => undefined });
  // The group's dead-letter topic, as the migration makes it for a platform group: a fresh group reads the topic from
  // its beginning, and any undecodable record anyone ever published there must be set aside, not retried forever.
  await ensureTopics(kafka, [deadLetterTopic(groupId)], { partitions: 1, replicationFactor: kafka.KAFKA_REPLICATION_FACTOR });
  bus = createKafkaBus(kafka, log, { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500, rebalanceTimeoutMs: 10_000, maxWaitTimeMs: 200 });
  // The service as main.ts wires it, consumer included, but in a group of its own: a users service running beside
  // the tests neither takes these records nor loses its own.
  h = await startUsersHarness({
    bus,
    activity: { groupId, retry: { initialDelayMs: 50, maxDelayMs: 500 } },
  });
}, 90_000);

afterAll(async () => {
  // Stopping the service stops its consumer; the bus and repository belong to the test.
  await h?.close();
  await bus?.close();
  await deleteTopics(kafka, [deadLetterTopic(groupId)]);
});

const newUser = (): Promise<User> =>
  h.repository.createUser({ username: `act_${randomUUID().slice(0, 8)}`, displayName: 'activity', passwordHash: 'not-a-hash' });

/** Publishes an accepted message for `conversationId` at `at`, keyed as the messages subgraph keys it (unless `key`). */
async function publishAccepted(conversationId: string, at: Date, key = conversationId): Promise<void> {
  const event: MessageAccepted = {
    version: EVENT_VERSION,
    messageId: newUuidV7(at.getTime()),
    conversationId,
    senderId: randomUUID(),
    content: 'hello',
    createdAt: at.toISOString(),
  };
  await bus.publish(TOPICS.messagesAccepted, [{ key, value: encodeEvent(MessageAccepted, event) }]);
}

async function lastActivity(conversationId: string): Promise<Date> {
  const [conversation] = await h.repository.findConversationsByIds([conversationId]);
  if (!conversation) throw new Error(`conversation ${conversationId} vanished`);
  return conversation.lastActivityAt;
}

async function waitForActivity(conversationId: string, expected: Date, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const actual = await lastActivity(conversationId);
    if (actual.getTime() === expected.getTime()) return;
    if (Date.now() > deadline) throw new Error(`lastActivityAt of ${conversationId} is ${actual.toISOString()}, expected ${expected.toISOString()}`);
    await sleep(100);
  }
}

const TITLES = '{ conversations(first: 10) { edges { node { title lastActivityAt } } } }';

async function titlesFor(user: User): Promise<{ title: string; lastActivityAt: string }[]> {
  const result = await h.gql<{ conversations: { edges: { node: { title: string; lastActivityAt: string } }[] } }>(
    TITLES,
    {},
    { userId: user.id, username: user.username },
  );
  expect(result.errors).toBeUndefined();
  return result.data!.conversations.edges.map((edge) => edge.node);
}

describe('users-activity consumer', () => {
  let me: User;
  let older: Conversation;
  let newer: Conversation;

  beforeAll(async () => {
    me = await newUser();
    older = await h.repository.createConversation({ title: 'older', memberIds: [me.id] });
    newer = await h.repository.createConversation({ title: 'newer', memberIds: [me.id] });
  });

  it('moves lastActivityAt to an accepted message and brings its conversation to the top', async () => {
    expect((await titlesFor(me)).map((c) => c.title)).toEqual(['newer', 'older']);

    const at = new Date(Date.now() + 1_000);
    await publishAccepted(older.id, at);
    await waitForActivity(older.id, at);

    expect(await titlesFor(me)).toEqual([
      { title: 'older', lastActivityAt: at.toISOString() },
      { title: 'newer', lastActivityAt: newer.lastActivityAt.toISOString() },
    ]);
  }, 60_000);

  it('ignores redelivered and late events: activity only moves forward', async () => {
    const latest = new Date(Date.now() + 5_000);
    await publishAccepted(older.id, latest);
    await waitForActivity(older.id, latest);

    // The same event again, then one from before it, then a marker on the same key (so the same partition, after them)
    // that touches the other conversation: once the marker is applied, the two before it have been handled too.
    await publishAccepted(older.id, latest);
    await publishAccepted(older.id, new Date(latest.getTime() - 60_000));
    // Before `latest` (so `older` stays on top whatever time the waits took) and after `newer`'s creation.
    const marker = new Date(latest.getTime() - 1_000);
    await publishAccepted(newer.id, marker, older.id);
    await waitForActivity(newer.id, marker);

    expect(await lastActivity(older.id)).toEqual(latest);
    expect((await titlesFor(me)).map((c) => c.title)).toEqual(['older', 'newer']);
  }, 60_000);

  it('skips events for conversations it does not know and keeps consuming', async () => {
    // Same key as the next record, so it is handled first: had it failed, the next could never be applied.
    await publishAccepted(randomUUID(), new Date(), newer.id);
    const later = new Date(Date.now() + 20_000);
    await publishAccepted(newer.id, later);
    await waitForActivity(newer.id, later);
    expect((await titlesFor(me)).map((c) => c.title)).toEqual(['newer', 'older']);
  }, 60_000);

  // Not over Kafka: a garbage record on the shared messages.accepted would reach every other group reading it. The bus
  // contract suite shows that PoisonEventError dead-letters and moves on; this shows the handler raises it.
  it('calls an undecodable record poison, so the bus dead-letters it instead of retrying forever', async () => {
    const handler = activityHandler(h.repository, log);
    const record = (value: string): BusRecord => ({ topic: TOPICS.messagesAccepted, partition: 0, offset: '0', key: older.id, value: Buffer.from(value), headers: {} });
    const before = await lastActivity(older.id);

    await expect(handler(record('not json'))).rejects.toBeInstanceOf(PoisonEventError);
    await expect(handler(record(JSON.stringify({ version: 2, conversationId: older.id })))).rejects.toBeInstanceOf(PoisonEventError);
    expect(await lastActivity(older.id)).toEqual(before);

    const later = new Date(before.getTime() + 1_000);
    const valid = { version: EVENT_VERSION, messageId: newUuidV7(later.getTime()), conversationId: older.id, senderId: me.id, content: 'x', createdAt: later.toISOString() };
    await handler(record(JSON.stringify(valid)));
    expect(await lastActivity(older.id)).toEqual(later);
  });
});

describe('membership announcements on Kafka', () => {
  const ADD = 'mutation ($c: ID!, $u: ID!) { addConversationMember(conversationId: $c, userId: $u) { id } }';
  const REMOVE = 'mutation ($c: ID!, $u: ID!) { removeConversationMember(conversationId: $c, userId: $u) { id } }';

  it('each add and remove reaches a follower of conversations.members (as the gateway and messages subgraph follow it), in order', async () => {
    const [me, friend] = await Promise.all([newUser(), newUser()]);
    const conversation = await h.repository.createConversation({ title: 'announced', memberIds: [me.id] });
    const heard: MembershipChangeNotice[] = [];
    const follower = await followMembershipChanges(bus, (notice) => heard.push(notice), { log });
    try {
      const caller = { userId: me.id, username: me.username };
      for (const query of [ADD, REMOVE]) expect((await h.gql(query, { c: conversation.id, u: friend.id }, caller)).errors).toBeUndefined();
      const ours = () => heard.filter((n) => n.conversationId === conversation.id);
      await waitFor('both changes heard', () => ours().length >= 2, 15_000, () => JSON.stringify(ours()), 50);
      expect(ours()).toEqual([
        { conversationId: conversation.id, userId: friend.id, change: 'ADDED' },
        { conversationId: conversation.id, userId: friend.id, change: 'REMOVED' },
      ]);
    } finally {
      await follower.stop();
    }
  });
});
