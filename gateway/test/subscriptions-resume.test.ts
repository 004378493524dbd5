import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  EVENT_VERSION,
  MessageStatusChanged,
  TOPICS,
  createEmbeddedBus,
  createLogger,
  encodeEvent,
  ensureEmbeddedTopics,
  newUuidV7,
  type EmbeddedBus,
  type EventBus,
  type MessageStatus,
} from '@chat4all/common';
import { decodeCursor, encodeCursor, type PositionVector } from '../src/subscriptions/cursor';
import { FanOut, type LiveEvent } from '../src/subscriptions/fanout';
import { startFeed, type Feed } from '../src/subscriptions/feed';
import { Replays, replayPlan, type EventFilter, type ReplayLimits } from '../src/subscriptions/resume';
import { SubscriberStream } from '../src/subscriptions/stream';

/**
 * Resume on the embedded bus (the same port as Kafka, in a temp folder): the feed, the replay and the seam between
 * them, driven step by step so the overlap at the seam really happens.
 */
const log = createLogger('resume-test', 'silent');
const LIMITS: ReplayLimits = { maxConcurrent: 2, maxRecords: 1_000, lookback: 100 };

describe('replayPlan', () => {
  const offsets = [
    { partition: 0, oldest: '10', end: '20' },
    { partition: 1, oldest: '0', end: '5' },
  ];
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (error) {
      return (error as { extensions?: { code?: string; field?: string } }).extensions;
    }
    return undefined;
  };

  it('reads each partition after the cursor up to its end, starting the lookback records before it', () => {
    const plan = replayPlan([14n, 4n], offsets, { maxRecords: 100, lookback: 3 });
    expect(plan.end).toEqual([20n, 5n]);
    expect([...plan.pending]).toEqual([0]); // partition 1 is read up to its end already
    expect(plan.from).toEqual({ 0: '12' });
    expect(replayPlan([9n, -1n], offsets, { maxRecords: 100, lookback: 3 }).from).toEqual({ 0: '10', 1: '0' });
  });

  it('refuses with CURSOR_EXPIRED a cursor before the retained log, ahead of it, of another partition count, or too far behind', () => {
    const expired = { code: 'CURSOR_EXPIRED', field: 'after' };
    expect(code(() => replayPlan([8n, 0n], offsets, LIMITS))).toEqual(expired); // 9 is no longer retained
    expect(code(() => replayPlan([20n, 0n], offsets, LIMITS))).toEqual(expired);
    expect(code(() => replayPlan([12n], offsets, LIMITS))).toEqual(expired);
    expect(code(() => replayPlan([9n, -1n], offsets, { maxRecords: 14, lookback: 0 }))).toEqual(expired); // 10 + 5 behind
    expect(code(() => replayPlan([9n, -1n], offsets, { maxRecords: 15, lookback: 0 }))).toBeUndefined();
  });
});

describe('SubscriberStream', () => {
  const ev = (partition: number, offset: bigint, position: PositionVector): LiveEvent => ({
    kind: 'status',
    conversationId: 'c',
    messageId: `m${offset}`,
    status: 'DELIVERED',
    previousStatus: 'SENT',
    partition,
    offset,
    position,
    cursor: encodeCursor(position), // as the feed writes it
  });

  it('holds live events while replaying, then drops the ones the replay covered; each cursor is the position after its event', async () => {
    const stream = new SubscriberStream(10, { resumeAfter: [4n, 7n] }, () => undefined, () => undefined);
    stream.live(ev(0, 5n, [5n, 7n])); // also in the replay
    stream.live(ev(0, 6n, [6n, 8n])); // at the end offset: live only
    await stream.replayed(ev(0, 5n, [5n, -1n]));
    expect(stream.queue.size).toBe(1);
    stream.goLive([6n, 8n]);
    const cursors: (PositionVector | null)[] = [];
    const offsets: bigint[] = [];
    while (stream.queue.size > 0) {
      const { value } = await stream.queue.next();
      offsets.push((value as LiveEvent).offset);
      cursors.push(decodeCursor((value as LiveEvent).cursor));
    }
    expect(offsets).toEqual([5n, 6n]);
    expect(cursors).toEqual([[5n, 7n], [6n, 8n]]);
    expect(stream.position).toEqual([6n, 8n]);
  });

  it('hands a live event on as the same object while the subscription is not ahead of the feed (its resolution is shared)', async () => {
    const stream = new SubscriberStream(10, { live: [3n, 3n] }, () => undefined, () => undefined);
    const live = ev(1, 4n, [3n, 4n]);
    stream.live(live);
    expect((await stream.queue.next()).value).toBe(live);
    const resumed = new SubscriberStream(10, { resumeAfter: [9n, 0n] }, () => undefined, () => undefined);
    resumed.goLive([10n, 5n]); // read up to 9 and 4: ahead of the feed's position at the next event in partition 0
    resumed.live(ev(1, 5n, [3n, 5n]));
    const copy = (await resumed.queue.next()).value as LiveEvent;
    expect(decodeCursor(copy.cursor)).toEqual([9n, 5n]);
  });

  it('closes (onOverflow) when more live events arrive during a replay than it may hold', () => {
    const overflow = jest.fn();
    const stream = new SubscriberStream(2, { resumeAfter: [0n] }, overflow, () => undefined);
    for (let n = 1n; n <= 3n; n++) stream.live(ev(0, n, [n]));
    expect(overflow).toHaveBeenCalledTimes(1);
    expect(stream.queue.isEnded).toBe(true);
  });
});

describe('resume on the embedded bus', () => {
  let dataDir: string;
  let bus: EmbeddedBus;
  let feed: Feed;
  const fanOut = new FanOut();
  const conversationId = 'conversation-1';
  const filter: EventFilter = { conversationId, addedOnly: false };

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'chat4all-resume-'));
    await ensureEmbeddedTopics(dataDir, [TOPICS.messagesStatus], { partitions: 3 });
    bus = createEmbeddedBus({ dataDir, log, pollIntervalMs: 20 });
    feed = await startFeed(bus, fanOut, log, { lookback: 100 });
  });

  afterAll(async () => {
    await feed.stop();
    await bus.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const status = (messageId: string, s: MessageStatus, source = 'router', conversation = conversationId) => ({
    key: conversation,
    value: encodeEvent(MessageStatusChanged, { version: EVENT_VERSION, messageId, conversationId: conversation, status: s, at: new Date().toISOString(), source }),
  });
  /** What the platform publishes for one message: the router's SENT and DELIVERED, the connector's DELIVERED and READ. */
  const lifecycle = (messageId: string) => [status(messageId, 'SENT'), status(messageId, 'DELIVERED'), status(messageId, 'DELIVERED', 'connector'), status(messageId, 'READ', 'connector')];
  const publish = (records: ReturnType<typeof status>[]) => bus.publish(TOPICS.messagesStatus, records);

  async function waitFor(what: string, predicate: () => boolean): Promise<void> {
    const start = Date.now();
    while (!predicate()) {
      if (Date.now() - start > 10_000) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** A subscription's stream fed by the fan-out, as source.ts wires it; collects what it delivers. */
  function subscribe(start: { live: PositionVector } | { resumeAfter: PositionVector }) {
    const received: LiveEvent[] = [];
    const stream = new SubscriberStream(50, start, () => undefined, () => stop());
    const stop = fanOut.listen(conversationId, (event) => stream.live(event));
    const ended: { error?: unknown } = {};
    void (async () => {
      try {
        for await (const event of stream.queue) received.push(event);
      } catch (error) {
        ended.error = error; // what the subscriber's client would be sent
      }
    })();
    return { stream, received, stop, ended };
  }
  const seen = (events: LiveEvent[]) => events.map((e) => `${e.messageId.slice(-4)}:${e.previousStatus}>${e.status}`);

  it('replays every event after the cursor once, in order, across a seam where replayed and live events overlap', async () => {
    const m = Array.from({ length: 6 }, () => newUuidV7());
    const fresh = subscribe({ live: feed.position() });
    // Another conversation's events on the same log are passed over.
    await publish([...lifecycle(m[0]!), ...lifecycle(m[1]!).slice(0, 2), status(newUuidV7(), 'SENT', 'router', 'conversation-2')]);
    // m0: SENT, DELIVERED (the connector's second DELIVERED changes nothing), READ; m1: SENT, DELIVERED.
    await waitFor('5 events', () => fresh.received.length >= 5);
    expect(fresh.received.map((e) => e.kind)).toEqual(['added', 'status', 'status', 'added', 'status']);
    // The client saw up to m1's router DELIVERED, then went away.
    const cursor = decodeCursor(fresh.received[4]!.cursor)!;
    fresh.stop();
    fresh.stream.queue.end();

    // Meanwhile: the connector's DELIVERED of m1 (a duplicate the replay must drop) and READ, and m2 begins.
    await publish([status(m[1]!, 'DELIVERED', 'connector'), status(m[1]!, 'READ', 'connector'), status(m[2]!, 'SENT')]);

    // The resume: records published between attaching the listener and taking the end offsets are both live (held)
    // and replayed; records published while the replay has not started are live only.
    const gated: Pick<EventBus, 'offsets' | 'read'> = {
      offsets: async (topic) => {
        await publish([status(m[2]!, 'DELIVERED'), status(m[3]!, 'SENT')]);
        await waitFor('the overlap held', () => resumed.stream.replaying && feed.position().some((p, i) => p > (cursor[i] ?? -1n) + 3n));
        return bus.offsets(topic);
      },
      read: async (options) => {
        await publish([status(m[3]!, 'DELIVERED'), ...lifecycle(m[4]!)]);
        await new Promise((resolve) => setTimeout(resolve, 100)); // the feed hands them to the held buffer
        const reader = await bus.read(options);
        readStarted();
        return reader;
      },
    };
    let readStarted!: () => void;
    const replayReading = new Promise<void>((resolve) => (readStarted = resolve));
    const replays = new Replays(gated, LIMITS, log);
    const resumed = subscribe({ resumeAfter: cursor });
    await replays.start(cursor, resumed.stream, filter);
    await replayReading; // the replay's reader runs on after start() resolved; m5 comes after m4 in the log
    await publish(lifecycle(m[5]!));
    await waitFor('m5 READ', () => resumed.received.some((e) => e.messageId === m[5] && e.status === 'READ'));
    await new Promise((resolve) => setTimeout(resolve, 200));

    const short = (id: string) => id.slice(-4);
    expect(seen(resumed.received)).toEqual([
      `${short(m[1]!)}:DELIVERED>READ`,
      `${short(m[2]!)}:null>SENT`,
      `${short(m[2]!)}:SENT>DELIVERED`,
      `${short(m[3]!)}:null>SENT`,
      `${short(m[3]!)}:SENT>DELIVERED`,
      `${short(m[4]!)}:null>SENT`,
      `${short(m[4]!)}:SENT>DELIVERED`,
      `${short(m[4]!)}:DELIVERED>READ`,
      `${short(m[5]!)}:null>SENT`,
      `${short(m[5]!)}:SENT>DELIVERED`,
      `${short(m[5]!)}:DELIVERED>READ`,
    ]);
    // Cursors only move forward, and resuming from the last one replays nothing.
    const positions = resumed.received.map((e) => decodeCursor(e.cursor)!);
    for (let i = 1; i < positions.length; i++) for (let p = 0; p < 3; p++) expect(positions[i]![p]! >= positions[i - 1]![p]!).toBe(true);
    const again = subscribe({ resumeAfter: positions[positions.length - 1]! });
    await new Replays(bus, LIMITS, log).start(positions[positions.length - 1]!, again.stream, filter);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(again.received).toEqual([]);
    expect(again.stream.replaying).toBe(false);
    again.stop();
  });

  it('refuses a resume beyond SUBSCRIPTION_MAX_REPLAYS with RATE_LIMITED and frees the slot when a replay ends', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow: Pick<EventBus, 'offsets' | 'read'> = { offsets: (topic) => bus.offsets(topic), read: async (options) => (await gate, bus.read(options)) };
    const replays = new Replays(slow, { ...LIMITS, maxConcurrent: 1 }, log);
    await publish([status(newUuidV7(), 'SENT')]);
    await waitFor('a record to replay', () => feed.position().some((p) => p >= 0n));
    const behind = feed.position().map((p) => (p >= 0n ? p - 1n : p));
    const first = subscribe({ resumeAfter: behind });
    const started = replays.start(behind, first.stream, filter);
    const second = subscribe({ resumeAfter: behind });
    await expect(replays.start(behind, second.stream, filter)).rejects.toMatchObject({ extensions: { code: 'RATE_LIMITED' } });
    release();
    await started;
    await waitFor('the first replay done', () => replays.active === 0);
    const third = subscribe({ resumeAfter: feed.position() });
    await expect(replays.start(feed.position(), third.stream, filter)).resolves.toBeInstanceOf(Function);
    for (const s of [first, second, third]) s.stop();
  });

  it('ends a resume with UNAVAILABLE (the cursor still good) when the log cannot be read, and frees its slot', async () => {
    const down = () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:9092'));
    await publish([status(newUuidV7(), 'SENT')]);
    await waitFor('a record to replay', () => feed.position().some((p) => p >= 0n));
    const behind = feed.position().map((p) => (p >= 0n ? p - 1n : p));
    const unavailable = { extensions: { code: 'UNAVAILABLE' }, message: expect.stringMatching(/same cursor/) };

    const noOffsets = new Replays({ offsets: down, read: (options) => bus.read(options) }, LIMITS, log);
    const first = subscribe({ resumeAfter: behind });
    await expect(noOffsets.start(behind, first.stream, filter)).rejects.toMatchObject(unavailable);
    expect(noOffsets.active).toBe(0);

    const noReader = new Replays({ offsets: (topic) => bus.offsets(topic), read: down }, LIMITS, log);
    const second = subscribe({ resumeAfter: behind });
    await noReader.start(behind, second.stream, filter);
    await waitFor('the resume to fail', () => second.ended.error !== undefined);
    expect(second.ended.error).toMatchObject(unavailable);
    await waitFor('the slot freed', () => noReader.active === 0);
    for (const s of [first, second]) s.stop();
  });
});
