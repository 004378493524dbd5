import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createEmbeddedBus, ensureEmbeddedTopics, type EmbeddedBus } from '../src/bus/embedded';
import { ConversationMembersChanged, decodeEvent } from '../src/contracts/events';
import { TOPICS } from '../src/contracts/topics';
import { createLogger } from '../src/logging';
import { createMetricsRegistry } from '../src/service/metrics';
import { announceMembershipChange, followMembershipChanges, type MembershipChangeNotice } from '../src/peers/membership-changes';
import { waitFor } from './support/processes';

const log = createLogger('membership-changes-test', process.env.TEST_LOG_LEVEL ?? 'silent');
let dataDir: string;
let bus: EmbeddedBus;

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'chat4all-membership-changes-'));
  await ensureEmbeddedTopics(dataDir, [TOPICS.conversationMembers], { partitions: 3 });
  bus = createEmbeddedBus({ dataDir, log, pollIntervalMs: 10 });
});
afterEach(async () => {
  await bus.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** A counter's values by its `result` label. */
async function counted(metrics: ReturnType<typeof createMetricsRegistry>, name: string): Promise<Record<string, number>> {
  const metric = await metrics.getSingleMetric(name)!.get();
  return Object.fromEntries(metric.values.map((v) => [String(v.labels.result), v.value]));
}

describe('membership changes on the bus', () => {
  test('an announcement is a versioned ConversationMembersChanged keyed by its conversation', async () => {
    const at = new Date('2026-12-07T09:00:00.000Z');
    await announceMembershipChange(bus, { conversationId: 'conv-1', userId: 'user-1', change: 'REMOVED' }, { now: at });
    const [partition] = (await bus.offsets(TOPICS.conversationMembers)).filter((p) => p.end !== '0');
    const records: { key: string; value: Buffer }[] = [];
    const reader = await bus.read({ topic: TOPICS.conversationMembers, from: { [partition!.partition]: '0' }, handler: async (r) => void records.push(r) });
    await waitFor('the announcement read back', () => records.length === 1, 5_000, undefined, 10);
    await reader.stop();
    expect(records[0]!.key).toBe('conv-1');
    expect(decodeEvent(ConversationMembersChanged, records[0]!.value)).toEqual({
      version: 1,
      conversationId: 'conv-1',
      userId: 'user-1',
      change: 'REMOVED',
      at: '2026-12-07T09:00:00.000Z',
    });
  });

  test('announcements are counted by result: published, or failed when the bus does not take one (which the caller sees)', async () => {
    const metrics = createMetricsRegistry('test');
    const notice = { conversationId: 'conv-1', userId: 'user-1', change: 'ADDED' } as const;
    await announceMembershipChange(bus, notice, { metrics });
    const down = { publish: () => Promise.reject(new Error('broker unavailable (test)')) };
    await expect(announceMembershipChange(down, notice, { metrics })).rejects.toThrow('broker unavailable');
    expect(await counted(metrics, 'chat4all_membership_announcements_total')).toEqual({ published: 1, failed: 1 });
  });

  test('a follower hears the changes announced after it started, in order per conversation, and skips a record it cannot decode', async () => {
    await announceMembershipChange(bus, { conversationId: 'conv-old', userId: 'user-1', change: 'ADDED' });
    const heard: MembershipChangeNotice[] = [];
    const metrics = createMetricsRegistry('test');
    const follower = await followMembershipChanges(bus, (notice) => heard.push(notice), { log, metrics });
    try {
      await bus.publish(TOPICS.conversationMembers, [{ key: 'conv-1', value: 'not an event' }]);
      await announceMembershipChange(bus, { conversationId: 'conv-1', userId: 'user-1', change: 'ADDED' });
      await announceMembershipChange(bus, { conversationId: 'conv-1', userId: 'user-1', change: 'REMOVED' });
      await announceMembershipChange(bus, { conversationId: 'conv-2', userId: 'user-2', change: 'ADDED' });
      await waitFor('three changes heard', () => heard.length === 3, 5_000, () => JSON.stringify(heard), 10);
      expect(heard.filter((n) => n.conversationId === 'conv-1')).toEqual([
        { conversationId: 'conv-1', userId: 'user-1', change: 'ADDED' },
        { conversationId: 'conv-1', userId: 'user-1', change: 'REMOVED' },
      ]);
      expect(heard).toContainEqual({ conversationId: 'conv-2', userId: 'user-2', change: 'ADDED' });
      expect(heard.some((n) => n.conversationId === 'conv-old')).toBe(false);
      expect(await counted(metrics, 'chat4all_membership_changes_heard_total')).toEqual({ applied: 3, undecodable: 1 });
    } finally {
      await follower.stop();
    }
  });
});
