import { setTimeout as sleep } from 'node:timers/promises';
import { MemorySampler, settledRss } from '../memory';
import { atLeast, atMost, round, startResult, type BenchResult } from '../results';
import { createConversations, registerUsers, runTag } from '../seed';
import { sized, type BenchSize } from '../size';
import { startBenchStack } from '../stack';
import { Subscribers } from './clients';
import type { DeliveryReport } from './protocol';
import { EventPublisher } from './publisher';

/**
 * Issue 7, item 3: N graphql-ws subscribers on one gateway, all on one conversation, each selecting fields owned by
 * the messages and users subgraphs, so every event needs a federated resolution before it fans out to N sockets.
 * Per N: the gateway's resident memory per subscriber; delivery latency (message creation → arrival) at a steady
 * 2,000 deliveries/s; and the delivery rate it sustains when events are due at 20,000 deliveries/s, with its peak
 * memory meanwhile. The subscribers run in a separate process.
 */

interface Settings {
  counts: number[];
  /** Deliveries per second of the latency phase and of the throughput phase. */
  steadyRate: number;
  loadRate: number;
  phaseSeconds: number;
  /** The latency phase lasts long enough for at least this many events. */
  minEvents: number;
  /** Time after a phase's last event for its deliveries to arrive. */
  drainSeconds: number;
}

const SETTINGS: Record<BenchSize, Settings> = {
  smoke: { counts: [20, 50], steadyRate: 200, loadRate: 1000, phaseSeconds: 2, minEvents: 3, drainSeconds: 5 },
  full: { counts: [1000, 5000, 10_000], steadyRate: 2000, loadRate: 20_000, phaseSeconds: 10, minEvents: 4, drainSeconds: 15 },
};

interface PhaseResult {
  events: number;
  expected: number;
  report: DeliveryReport;
  /** Deliveries per second from the first event's publication to the last arrival. */
  deliveriesPerSecond: number;
}

export interface CountResult {
  subscribers: number;
  subscribed: number;
  rssBytesPerSubscriber: number;
  steady: PhaseResult;
  load: PhaseResult & { peakRssBytes: number };
}

/** Longest wait for one phase's deliveries, however slowly they still trickle in. */
const MAX_DRAIN_SECONDS = 90;

/** Waits until `expected` deliveries arrived, nothing new came for `drainSeconds`, or MAX_DRAIN_SECONDS passed. */
async function drained(subscribers: Subscribers, expected: number, drainSeconds: number): Promise<DeliveryReport> {
  let last = -1;
  let idleSince = Date.now();
  const deadline = Date.now() + MAX_DRAIN_SECONDS * 1000;
  for (;;) {
    const report = await subscribers.report();
    if (report.deliveries >= expected || Date.now() > deadline) return report;
    if (report.deliveries !== last) {
      last = report.deliveries;
      idleSince = Date.now();
    } else if (Date.now() - idleSince > drainSeconds * 1000) {
      return report;
    }
    await sleep(250);
  }
}

async function phase(publisher: EventPublisher, subscribers: Subscribers, subscribed: number, deliveriesPerSecond: number, seconds: number, s: Settings): Promise<PhaseResult> {
  subscribers.reset();
  const eventsPerSecond = deliveriesPerSecond / subscribed;
  const started = Date.now();
  const events = await publisher.publishAt(eventsPerSecond, Math.max(seconds, s.minEvents / eventsPerSecond));
  const expected = events * subscribed;
  const report = await drained(subscribers, expected, s.drainSeconds);
  const span = Math.max(report.lastAt - started, 1) / 1000;
  return { events, expected, report, deliveriesPerSecond: round(report.deliveries / span, 0) };
}

export async function runSubscriptionsBench(size: BenchSize): Promise<BenchResult> {
  const s = sized(size, SETTINGS);
  const finish = startResult('subscriptions', size);
  const stack = await startBenchStack();
  try {
    const gatewayPid = stack.pids.gateway;
    if (!gatewayPid) throw new Error('no pid for the gateway');
    const [member] = await registerUsers(stack.graphqlUrl, [`subs-${runTag()}`]);
    const [conversationId] = await createConversations(stack.graphqlUrl, member!, [[]]);
    const publisher = await EventPublisher.start(stack, conversationId!, member!.id);
    const results: CountResult[] = [];
    try {
      for (const count of s.counts) {
        const before = await settledRss(gatewayPid);
        const subscribers = await Subscribers.start(
          { wsUrl: stack.graphqlUrl.replace(/^http/, 'ws'), token: member!.token, conversationId: conversationId!, count, connectConcurrency: 100 },
          5 * 60_000,
        );
        try {
          const { subscribed } = subscribers.ready;
          if (subscribed === 0) throw new Error(`no subscriber connected: ${subscribers.ready.firstError ?? 'closed'}`);
          // One event everyone must get: proves each subscription is live before anything is measured.
          subscribers.reset();
          await publisher.publishOne();
          const probe = await drained(subscribers, subscribed, 30);
          if (probe.deliveries < subscribed) throw new Error(`${probe.deliveries} of ${subscribed} subscribers got the first event`);
          const rssBytesPerSubscriber = round(((await settledRss(gatewayPid)) - before) / subscribed, 0);
          const steady = await phase(publisher, subscribers, subscribed, s.steadyRate, s.phaseSeconds, s);
          const sampler = new MemorySampler({ gateway: gatewayPid });
          const load = await phase(publisher, subscribers, subscribed, s.loadRate, s.phaseSeconds, s).finally(() => sampler.stop());
          const peakRssBytes = sampler.stop().gateway!.peakBytes;
          results.push({ subscribers: count, subscribed, rssBytesPerSubscriber, steady, load: { ...load, peakRssBytes } });
          console.log(`bench: subscriptions: ${count} subscribers, ${steady.report.latencyMs.p99} ms p99 at ${s.steadyRate}/s, ${load.deliveriesPerSecond} deliveries/s under load`);
        } finally {
          await subscribers.close();
        }
        // Let the gateway release the closed sockets before the next count's baseline.
        await sleep(2000);
      }
    } finally {
      await publisher.close();
    }

    const largest = results[results.length - 1]!;
    const kb = (bytes: number) => round(bytes / 1024, 1);
    return finish({
      parameters: { ...s },
      measurements: { counts: results },
      ratios: Object.fromEntries(
        results.map((r) => [`${r.subscribers} subscribers: delivered/expected under load`, round(r.load.report.deliveries / Math.max(r.load.expected, 1), 3)]),
      ),
      targets: [
        atLeast(`deliveries/s sustained at ${largest.subscribers} subscribers`, largest.load.deliveriesPerSecond, 20_000),
        atMost(`delivery p99 at ${s.steadyRate}/s, ${largest.subscribers} subscribers (ms)`, largest.steady.report.latencyMs.p99, 100),
        atMost(`gateway RSS per subscriber at ${largest.subscribers} (KB)`, kb(largest.rssBytesPerSubscriber), 30),
      ],
      table: {
        columns: ['subscribers', 'RSS per subscriber KB', `p50 / p99 ms at ${s.steadyRate}/s`, `delivered at ${s.loadRate}/s due`, 'deliveries/s under load', 'p99 ms under load', 'gateway peak RSS MiB', 'closed sockets'],
        rows: results.map((r) => [
          r.subscribed,
          kb(r.rssBytesPerSubscriber),
          `${r.steady.report.latencyMs.p50} / ${r.steady.report.latencyMs.p99}`,
          `${r.load.report.deliveries} / ${r.load.expected}`,
          r.load.deliveriesPerSecond,
          r.load.report.latencyMs.p99,
          round(r.load.peakRssBytes / 2 ** 20, 1),
          JSON.stringify(r.load.report.closed),
        ]),
      },
      notes: [
        `All subscribers on one conversation, one socket each, from a separate process; each event is a new message (stored, then its MessageAccepted published as the messages subgraph does), so latency runs from the message's creation (including that insert) to its arrival. Phases: ${s.phaseSeconds} s (at least ${s.minEvents} events), then deliveries may arrive until none came for ${s.drainSeconds} s (at most ${MAX_DRAIN_SECONDS} s).`,
        'RSS per subscriber: the gateway\'s VmRSS after the subscribers connected and got a first event, minus before (each the least of 1.5 s of samples), divided by their number.',
        'Hive Gateway: not measured. It would pass the subscription to the messages subgraph over graphql-ws, and that subgraph refuses Subscription operations sent to it directly (only the gateway serves them), so the same work cannot be set up for it.',
      ],
    });
  } finally {
    await stack.stop();
  }
}
