import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GaugePeak } from '../gauge';
import { MemorySampler, settledRss } from '../memory';
import { atLeast, atMost, ratio, round, startResult, type BenchResult } from '../results';
import { createConversations, registerUsers, runTag } from '../seed';
import { numbersFrom, sized, type BenchSize } from '../size';
import { REPO_ROOT, ServiceProcess } from '../../../common/test/support/processes';
import { E2E_PORTS } from '../../../test/e2e/support/stack';
import { startHive, stackSupergraph } from '../gateway/references';
import { startBenchStack } from '../stack';
import { Subscribers } from './clients';
import { CALLER_HEADER, type DeliveryReport } from './protocol';
import { EventPublisher, FloorPublisher, type EventSource } from './publisher';

/**
 * Issue 7, item 3: N graphql-ws subscribers on one gateway, all on one conversation, each selecting fields owned by
 * the messages and users subgraphs, so every event needs a federated resolution before it fans out to N sockets.
 * Per N: the gateway's resident memory per subscriber; delivery latency (message creation → arrival) at a steady
 * 2,000 deliveries/s; the delivery rate it sustains when events are due at 20,000 deliveries/s, with its peak
 * memory meanwhile; and, overloaded (events due at 100,000 deliveries/s, faster than it can write them), the rate it
 * holds and whether its memory stays bounded (the backlog must wait in Kafka, not in the gateway). The subscribers run
 * in a separate process. The references, measured the same way in the same
 * run: a bare graphql-ws server fed by Kafka that answers from the event alone (bare-server.ts); Hive Gateway taking
 * each subscription to that server as the messages subgraph's stand-in and resolving the sender from the users
 * subgraph (hive.config.ts); and the fan-out floor (floor-server.ts).
 */

interface Settings {
  counts: number[];
  /** Deliveries per second of the latency phase and of the throughput phase. */
  steadyRate: number;
  loadRate: number;
  /**
   * Deliveries per second due in the overload phase, above what our gateway and the fan-out floor can write (both keep
   * up with `loadRate`, so that phase cannot say what they hold, nor what they do with a backlog).
   */
  overloadRate: number;
  phaseSeconds: number;
  /**
   * The latency phase lasts long enough for at least this many events: each is a burst to every socket, so its p99
   * over a few events is at the mercy of one slow burst (at 10,000 subscribers, 2,000 deliveries/s is an event every 5 s).
   */
  minEvents: number;
  /**
   * How long a phase waits for more deliveries once none came (after the first): it ends at once when all arrived.
   * Smoke's is long because it runs in CI beside other suites on 2 cores, where the engines can stall for seconds (one
   * CI run's smoke counted 1,958 of 2,000 with a 5 s wait, cause not established); a full run measures a quiet machine.
   */
  drainSeconds: number;
}

const SETTINGS: Record<BenchSize, Settings> = {
  smoke: { counts: [20, 50], steadyRate: 200, loadRate: 1000, overloadRate: 2000, phaseSeconds: 2, minEvents: 3, drainSeconds: 30 },
  full: { counts: [1000, 5000, 10_000], steadyRate: 2000, loadRate: 20_000, overloadRate: 100_000, phaseSeconds: 10, minEvents: 10, drainSeconds: 10 },
};

interface PhaseResult {
  events: number;
  expected: number;
  report: DeliveryReport;
  /** Deliveries per second from the first event's publication to the last arrival. */
  deliveriesPerSecond: number;
}

/** A phase with the server's peak resident memory during it (from the first publication to the last arrival). */
type MemoryPhase = PhaseResult & { peakRssBytes: number };

export interface CountResult {
  subscribers: number;
  subscribed: number;
  steady: PhaseResult;
  load: MemoryPhase;
  /**
   * Events due faster than the server writes them (our gateway and the fan-out floor only: the others are overloaded
   * at `loadRate` already). `mostQueued`: the most events our gateway held in its subscription queues at once, by its
   * own /metrics (`chat4all_subscription_queued_events`, every 250 ms); null for the floor.
   */
  overload?: MemoryPhase & { mostQueued: number | null };
}

/** The reference servers' ports, beside the e2e stack's (bench/README.md lists them). */
const BARE_PORT = E2E_PORTS.gateway + 40;
const FLOOR_PORT = E2E_PORTS.gateway + 41;

/** A server's result with its resident memory per subscriber (not measured for the fan-out floor). */
type WithRss = CountResult & { rssBytesPerSubscriber: number; rssBaselineBytes: number };
/** A result that may have it (Hive Gateway's, when it could not connect that many for the measurement). */
type MaybeWithRss = CountResult & { rssBytesPerSubscriber?: number };

/** Longest wait for one phase's deliveries, however slowly they still trickle in. */
const MAX_DRAIN_SECONDS = 90;
/** How long connectAll keeps probing until every subscriber has received an event. */
const PROBE_SECONDS = 30;

/** A phase's latencies, or null when it delivered nothing (its percentiles then read 0, which is not a fast server). */
function latencyOf(report: DeliveryReport): DeliveryReport['latencyMs'] | null {
  return report.deliveries > 0 ? report.latencyMs : null;
}

/**
 * Waits until `expected` deliveries arrived, nothing new came for `drainSeconds` since the first one did, or
 * MAX_DRAIN_SECONDS passed. (A server may take longer than `drainSeconds` to deliver its first event of a phase, when
 * it is still busy with earlier ones: Hive Gateway at 10,000 subscribers. That is its latency, not the end of it.)
 */
async function drained(subscribers: Subscribers, expected: number, drainSeconds: number): Promise<DeliveryReport> {
  let last = 0;
  let idleSince = Date.now();
  const deadline = Date.now() + MAX_DRAIN_SECONDS * 1000;
  for (;;) {
    const report = await subscribers.report();
    if (report.deliveries >= expected || Date.now() > deadline) return report;
    if (report.deliveries === 0) {
      idleSince = Date.now();
    } else if (report.deliveries !== last) {
      last = report.deliveries;
      idleSince = Date.now();
    } else if (Date.now() - idleSince > drainSeconds * 1000) {
      return report;
    }
    await sleep(250);
  }
}

async function phase(publisher: EventSource, subscribers: Subscribers, subscribed: number, deliveriesPerSecond: number, seconds: number, s: Settings): Promise<PhaseResult> {
  await subscribers.reset();
  const eventsPerSecond = deliveriesPerSecond / subscribed;
  const started = Date.now();
  const events = await publisher.publishAt(eventsPerSecond, Math.max(seconds, s.minEvents / eventsPerSecond));
  const expected = events * subscribed;
  const report = await drained(subscribers, expected, s.drainSeconds);
  const span = Math.max(report.lastAt - started, 1) / 1000;
  return { events, expected, report, deliveriesPerSecond: round(report.deliveries / span, 0) };
}

interface Server {
  name: string;
  wsUrl: string;
  pid: number;
  /** Each subscriber socket's upgrade headers. */
  headers?: Record<string, string>;
  /** The sender's displayName its answers carry, when it resolves it from the users subgraph. */
  displayName?: string;
  /** Where its /metrics are, when it counts the events waiting in its subscription queues (our gateway). */
  metricsOrigin?: string;
}

/** A reference's measurement at one count, or why it could not be taken (Hive Gateway may give up under load). */
type Attempt<T> = T | { subscribers: number; error: string };

async function attempt<T>(count: number, measure: () => Promise<T>): Promise<Attempt<T>> {
  try {
    return await measure();
  } catch (error) {
    console.log(`bench: subscriptions: ${count} subscribers: ${error instanceof Error ? error.message : String(error)}`);
    return { subscribers: count, error: error instanceof Error ? error.message.split('\n')[0]! : String(error) };
  }
}

const failed = <T extends object>(result: Attempt<T> | undefined): result is { subscribers: number; error: string } => result !== undefined && 'error' in result;

interface Run {
  publisher: EventSource;
  token: string;
  conversationId: string;
  s: Settings;
}

/** Connects `count` subscribers and proves each subscription live: one event everyone must get. */
async function connectAll(server: Server, count: number, run: Run): Promise<{ subscribers: Subscribers; subscribed: number }> {
  const spec = {
    wsUrl: server.wsUrl,
    token: run.token,
    conversationId: run.conversationId,
    count,
    connectConcurrency: 100,
    ...(server.headers && { headers: server.headers }),
    ...(server.displayName !== undefined && { expectDisplayName: server.displayName }),
  };
  const subscribers = await Subscribers.start(spec, 5 * 60_000);
  try {
    const { subscribed } = subscribers.ready;
    if (subscribed === 0) throw new Error(`${server.name}: no subscriber connected: ${subscribers.ready.firstError ?? 'closed'}`);
    await subscribers.reset();
    // A client counts itself subscribed once its subscribe message is sent; the server may register it a moment
    // later and miss an event published meanwhile. So probe events go out once a second until every subscriber
    // has one (never more than PROBE_SECONDS): a subscription that never goes live still fails the run.
    const deadline = Date.now() + PROBE_SECONDS * 1000;
    let reached = 0;
    let nextProbeAt = 0;
    while (reached < subscribed && Date.now() < deadline) {
      if (Date.now() >= nextProbeAt) {
        await run.publisher.publishOne();
        nextProbeAt = Date.now() + 1000;
      }
      await sleep(100);
      reached = (await subscribers.report()).reached;
    }
    if (reached < subscribed) throw new Error(`${server.name}: ${reached} of ${subscribed} subscribers got an event within ${PROBE_SECONDS} s`);
    return { subscribers, subscribed };
  } catch (error) {
    await subscribers.close();
    throw error;
  }
}

/**
 * Resident memory per subscriber at each count, measured before any load phase: the server's settled VmRSS with the
 * subscribers connected (and each given one event) minus its settled VmRSS before the first subscriber ever came.
 * A baseline taken after a load phase held that phase's heap (V8 keeps what it grew), which made the figure negative.
 */
async function rssPerSubscriber(server: Server, counts: readonly number[], run: Run, tolerant = false): Promise<{ baseline: number; perSubscriber: Map<number, number> }> {
  const baseline = await settledRss(server.pid);
  const perSubscriber = new Map<number, number>();
  for (const count of counts) {
    // A reference that cannot connect this many is measured at the counts it can (its rows say why not).
    const connected = tolerant ? await attempt(count, () => connectAll(server, count, run)) : await connectAll(server, count, run);
    if (failed(connected)) continue;
    const { subscribers, subscribed } = connected;
    try {
      perSubscriber.set(count, round(((await settledRss(server.pid)) - baseline) / subscribed, 0));
    } finally {
      await subscribers.close();
      await sleep(2000);
    }
  }
  return { baseline, perSubscriber };
}

/** A phase at `rate` with the server's peak VmRSS meanwhile. */
async function memoryPhase(server: Server, subscribers: Subscribers, subscribed: number, rate: number, run: Run): Promise<MemoryPhase> {
  const sampler = new MemorySampler({ server: server.pid });
  const result = await phase(run.publisher, subscribers, subscribed, rate, run.s.phaseSeconds, run.s).finally(() => sampler.stop());
  return { ...result, peakRssBytes: sampler.stop().server!.peakBytes };
}

/** One server at one subscriber count: connect, prove every subscription live, then the phases (overload when asked). */
async function measureCount(server: Server, count: number, run: Run, overloaded = false): Promise<CountResult> {
  const { publisher, s } = run;
  const { subscribers, subscribed } = await connectAll(server, count, run);
  try {
    const steady = await phase(publisher, subscribers, subscribed, s.steadyRate, s.phaseSeconds, s);
    const load = await memoryPhase(server, subscribers, subscribed, s.loadRate, run);
    let overload: CountResult['overload'];
    if (overloaded) {
      const queued = server.metricsOrigin === undefined ? undefined : new GaugePeak(server.metricsOrigin, 'chat4all_subscription_queued_events');
      let result: MemoryPhase;
      try {
        result = await memoryPhase(server, subscribers, subscribed, s.overloadRate, run);
      } catch (error) {
        await queued?.stop().catch(() => undefined);
        throw error;
      }
      overload = { ...result, mostQueued: queued ? (await queued.stop()).peak : null };
    }
    const overloadText = overload ? `, ${overload.deliveriesPerSecond} overloaded` : '';
    console.log(`bench: subscriptions: ${server.name}, ${count} subscribers: ${steady.report.latencyMs.p99} ms p99 at ${s.steadyRate}/s, ${load.deliveriesPerSecond} deliveries/s under load${overloadText}`);
    return { subscribers: count, subscribed, steady, load, ...(overload && { overload }) };
  } finally {
    await subscribers.close();
    // Let the server release the closed sockets before the next baseline.
    await sleep(2000);
  }
}

/** A reference server of this directory as its own process on `port`, once it logs `readyMessage`. */
async function startReference(name: string, script: string, port: number, readyMessage: string, env: Record<string, string> = {}): Promise<{ process: ServiceProcess; wsUrl: string; pid: number }> {
  const service = new ServiceProcess(name, script, { ...env, PORT: String(port) });
  try {
    await service.waitForLine((line) => line.msg === readyMessage, 60_000);
    if (!service.pid) throw new Error(`no pid for ${name}`);
  } catch (error) {
    await service.stop();
    throw error;
  }
  return { process: service, wsUrl: `ws://127.0.0.1:${port}/graphql`, pid: service.pid };
}

export async function runSubscriptionsBench(size: BenchSize): Promise<BenchResult> {
  // BENCH_SUBSCRIBERS=10000 measures these counts only; BENCH_SUBSCRIPTIONS_REFERENCE=skip leaves the bare server out
  // (both to look at one count of our gateway closely: such a run is not the full measurement).
  const s = { ...sized(size, SETTINGS) };
  s.counts = numbersFrom(process.env, 'BENCH_SUBSCRIBERS', s.counts);
  const withReference = process.env.BENCH_SUBSCRIPTIONS_REFERENCE !== 'skip';
  const finish = startResult('subscriptions', size);
  const stack = await startBenchStack();
  const references: { process: ServiceProcess }[] = [];
  try {
    const gatewayPid = stack.pids.gateway;
    if (!gatewayPid) throw new Error('no pid for the gateway');
    const [member] = await registerUsers(stack.graphqlUrl, [`subs-${runTag()}`]);
    const [conversationId] = await createConversations(stack.graphqlUrl, member!, [[]]);
    const publisher = await EventPublisher.start(stack, conversationId!, member!.id);
    const run: Run = { publisher, token: member!.token, conversationId: conversationId!, s };
    const gateway: WithRss[] = [];
    const reference: WithRss[] = [];
    const hive: Attempt<MaybeWithRss>[] = [];
    const floor: CountResult[] = [];
    // The member registered without a displayName, so theirs is their username.
    const ours: Server = {
      name: 'gateway',
      wsUrl: stack.graphqlUrl.replace(/^http/, 'ws'),
      pid: gatewayPid,
      displayName: member!.username,
      metricsOrigin: new URL(stack.graphqlUrl).origin,
    };
    try {
      const oursRss = await rssPerSubscriber(ours, s.counts, run);
      let bare: { server: Server; rss: Map<number, number>; baseline: number } | undefined;
      let hiveRun: { server: Server; rss: Map<number, number> } | undefined;
      let floorRun: { server: Server; run: Run } | undefined;
      if (withReference) {
        const started = await startReference('bare-graphql-ws', 'bench/src/subscriptions/bare-server.ts', BARE_PORT, 'bare graphql-ws server ready', {
          BENCH_ACCEPTED_TOPIC: publisher.acceptedTopic,
        });
        references.push(started);
        const server: Server = { name: 'bare graphql-ws', wsUrl: started.wsUrl, pid: started.pid };
        const { perSubscriber, baseline } = await rssPerSubscriber(server, s.counts, run);
        bare = { server, rss: perSubscriber, baseline };
        // Hive Gateway takes the subscription to the messages subgraph's stand-in, the bare server (hive.config.ts).
        const hiveGateway = await startHive(stackSupergraph(stack), {
          configPath: path.join(REPO_ROOT, 'bench/src/subscriptions/hive.config.ts'),
          env: { BENCH_SUBSCRIPTION_SOURCE: started.wsUrl, IDENTITY_SIGNING_KEY: stack.secrets.IDENTITY_SIGNING_KEY },
        });
        references.push(hiveGateway);
        if (!hiveGateway.process.pid) throw new Error('no pid for Hive Gateway');
        const hiveServer: Server = {
          name: 'Hive Gateway',
          wsUrl: hiveGateway.graphqlUrl.replace(/^http/, 'ws'),
          pid: hiveGateway.process.pid,
          headers: { [CALLER_HEADER]: JSON.stringify({ userId: member!.id, username: member!.username }) },
          displayName: member!.username,
        };
        hiveRun = { server: hiveServer, rss: (await rssPerSubscriber(hiveServer, s.counts, run, true)).perSubscriber };
        const floorServer = await startReference('fan-out-floor', 'bench/src/subscriptions/floor-server.ts', FLOOR_PORT, 'fan-out floor server ready');
        references.push(floorServer);
        floorRun = {
          server: { name: 'fan-out floor', wsUrl: floorServer.wsUrl, pid: floorServer.pid },
          run: { ...run, publisher: new FloorPublisher(`http://127.0.0.1:${FLOOR_PORT}/event`) },
        };
      }
      for (const count of s.counts) {
        gateway.push({ ...(await measureCount(ours, count, run, true)), rssBytesPerSubscriber: oursRss.perSubscriber.get(count)!, rssBaselineBytes: oursRss.baseline });
        if (bare) reference.push({ ...(await measureCount(bare.server, count, run)), rssBytesPerSubscriber: bare.rss.get(count)!, rssBaselineBytes: bare.baseline });
        if (hiveRun) {
          const { server, rss } = hiveRun;
          hive.push(await attempt(count, async () => ({ ...(await measureCount(server, count, run)), rssBytesPerSubscriber: rss.get(count) })));
        }
        if (floorRun) floor.push(await measureCount(floorRun.server, count, floorRun.run, true));
      }
    } finally {
      await publisher.close();
    }

    const largest = gateway[gateway.length - 1]!;
    const kb = (bytes: number) => round(bytes / 1024, 1);
    const ratios: Record<string, number> = {};
    gateway.forEach((g, i) => {
      const b = reference[i];
      if (b) ratios[`${g.subscribers} subscribers: gateway/bare deliveries/s under load`] = ratio(g.load.deliveriesPerSecond, b.load.deliveriesPerSecond);
      ratios[`${g.subscribers} subscribers: gateway delivered/expected under load`] = round(g.load.report.deliveries / Math.max(g.load.expected, 1), 3);
      const h = hive[i] !== undefined && !failed(hive[i]) ? hive[i] : undefined;
      // A phase in which Hive delivered nothing has no rate or latency to compare (its row shows it).
      const hiveSteady = h ? latencyOf(h.steady.report) : null;
      if (h && h.load.deliveriesPerSecond > 0 && hiveSteady) {
        ratios[`${g.subscribers} subscribers: gateway/Hive deliveries/s under load`] = ratio(g.load.deliveriesPerSecond, h.load.deliveriesPerSecond);
        ratios[`${g.subscribers} subscribers: Hive/gateway p99 at ${s.steadyRate}/s`] = ratio(hiveSteady.p99, g.steady.report.latencyMs.p99);
      }
      const f = floor[i];
      if (f) {
        ratios[`${g.subscribers} subscribers: gateway/floor p99 at ${s.steadyRate}/s`] = ratio(g.steady.report.latencyMs.p99, f.steady.report.latencyMs.p99);
        ratios[`${g.subscribers} subscribers: gateway/floor deliveries/s under load`] = ratio(g.load.deliveriesPerSecond, f.load.deliveriesPerSecond);
        if (g.overload && f.overload) ratios[`${g.subscribers} subscribers: gateway/floor deliveries/s overloaded`] = ratio(g.overload.deliveriesPerSecond, f.overload.deliveriesPerSecond);
      }
    });
    // Every phase that counted errors, with what the first was (the subscribers check each answer: see subscribers.ts).
    const phaseErrors = [
      ...gateway.map((r) => ['our gateway', r] as const),
      ...reference.map((r) => ['bare graphql-ws', r] as const),
      ...hive.flatMap((r) => (failed(r) ? [] : [['Hive Gateway', r] as const])),
      ...floor.map((r) => ['fan-out floor', r] as const),
    ].flatMap(([name, r]) =>
      (['steady', 'load'] as const)
        .filter((phaseName) => r[phaseName].report.errors > 0)
        .map((phaseName) => {
          const { errors, firstError } = r[phaseName].report;
          const rate = phaseName === 'steady' ? s.steadyRate : s.loadRate;
          return `${name}, ${r.subscribers} subscribers, ${rate}/s phase: ${errors} answers with errors or without the sender's displayName (not counted as deliveries); the first: ${firstError ?? 'not recorded'}`;
        }),
    );
    const overloadCells = (o: CountResult['overload']) =>
      o
        ? [`${o.report.deliveries} / ${o.expected}`, o.deliveriesPerSecond, round(o.peakRssBytes / 2 ** 20, 1), o.mostQueued ?? '-', JSON.stringify(o.report.closed)]
        : ['-', '-', '-', '-', '-'];
    const hiveRow = (r: Attempt<MaybeWithRss>) =>
      failed(r) ? ['Hive Gateway (reference)', r.subscribers, `failed: ${r.error}`, '-', '-', '-', '-', '-', '-', ...overloadCells(undefined)] : row('Hive Gateway (reference)', r);
    // Overloaded, the gateway's memory over its own before any subscriber came, per subscriber: the per-subscriber
    // bound must hold when deliveries are due faster than they go, with the backlog waiting in Kafka.
    const overloadedPerSubscriber = (g: WithRss) => (g.overload ? kb((g.overload.peakRssBytes - g.rssBaselineBytes) / g.subscribed) : null);
    const row = (name: string, r: MaybeWithRss) => {
      const steady = latencyOf(r.steady.report);
      return [
        name,
        r.subscribed,
        r.rssBytesPerSubscriber === undefined ? '-' : kb(r.rssBytesPerSubscriber),
        steady ? `${steady.p50} / ${steady.p99}` : 'none delivered',
        `${r.load.report.deliveries} / ${r.load.expected}`,
        r.load.deliveriesPerSecond,
        latencyOf(r.load.report)?.p99 ?? 'none delivered',
        round(r.load.peakRssBytes / 2 ** 20, 1),
        JSON.stringify(r.load.report.closed),
        ...overloadCells(r.overload),
      ];
    };
    return finish({
      parameters: { ...s, reference: withReference },
      measurements: { gateway, bare: reference, hive, floor },
      ratios,
      targets: [
        // What it holds when events are due faster than it writes them: the load phase's rate is capped by its due rate.
        atLeast(
          `deliveries/s sustained at ${largest.subscribers} subscribers (events due at ${largest.overload ? s.overloadRate : s.loadRate}/s)`,
          (largest.overload ?? largest.load).deliveriesPerSecond,
          20_000,
        ),
        atMost(`delivery p99 at ${s.steadyRate}/s, ${largest.subscribers} subscribers (ms)`, latencyOf(largest.steady.report)?.p99 ?? null, 100),
        atMost(`gateway RSS per subscriber at ${largest.subscribers} (KB)`, kb(largest.rssBytesPerSubscriber), 30),
        atMost(`gateway peak RSS per subscriber at ${largest.subscribers}, overloaded (events due at ${s.overloadRate}/s) (KB)`, overloadedPerSubscriber(largest), 30),
      ],
      table: {
        columns: ['server', 'subscribers', 'RSS per subscriber KB', `p50 / p99 ms at ${s.steadyRate}/s`, `delivered at ${s.loadRate}/s due`, 'deliveries/s under load', 'p99 ms under load', 'peak RSS MiB', 'closed sockets', `delivered at ${s.overloadRate}/s due (overloaded)`, 'deliveries/s overloaded', 'peak RSS MiB overloaded', 'most events queued in the gateway, overloaded', 'closed sockets overloaded'],
        rows: gateway.flatMap((g, i) => [
          row('our gateway', g),
          ...(reference[i] ? [row('bare graphql-ws (reference)', reference[i])] : []),
          ...(hive[i] ? [hiveRow(hive[i])] : []),
          ...(floor[i] ? [row('fan-out floor (reference)', floor[i])] : []),
        ]),
      },
      notes: [
        `All subscribers on one conversation, one socket each, from a separate process; each event is a new message (its MessageAccepted published as the messages subgraph does, on a topic of the run's own that only the bare server reads, the message stored, then its SENT published on messages.status as the router does), so latency runs from the message's creation (including that insert) to its arrival. Phases: ${s.phaseSeconds} s (at least ${s.minEvents} events), then deliveries may arrive until, once the first came, none came for ${s.drainSeconds} s (at most ${MAX_DRAIN_SECONDS} s).`,
        'RSS per subscriber: measured first, before any load phase: the server\'s VmRSS with the subscribers connected and given a first event, minus its VmRSS before any subscriber came (each the least of 1.5 s of samples), divided by their number. A negative figure means the server\'s VmRSS fell below that start-up level meanwhile (memory of its start returned to the system), by more than the subscribers took.',
        `Overloaded (our gateway and the fan-out floor, after the phase at ${s.loadRate}/s, which both keep up with): events due at ${s.overloadRate} deliveries/s for ${s.phaseSeconds} s, more than either can write, so the backlog has to wait somewhere; the rate is what the server held from the first publication to the last arrival, and its latency (in the JSON) is mostly that backlog. The gateway reads \`messages.status\` only as fast as it hands events out, so the backlog waits in Kafka: "most events queued" is the most its subscription queues held at once (its /metrics, every 250 ms), out of ${s.overloadRate * s.phaseSeconds} due. The per-subscriber target compares its peak VmRSS then with its VmRSS before any subscriber came. Bare graphql-ws and Hive Gateway are overloaded at ${s.loadRate}/s already (their rows above).`,
        'Reference: a bare graphql-ws server with its own Kafka consumer, answering the same selection from the event alone (no federation, no membership check, no auth), measured at each count right after the gateway.',
        "Fan-out floor: a minimal graphql-transport-ws server (ws, the gateway's own frame writing, nothing else: no Kafka, no store, no resolution, no checks) that writes one event, serialized once with its createdAt set then, to every socket on each request of the benchmark, at the same rates and to the same subscriber process. Its latency is what one Node thread's socket writes and the subscribers' own process cost on this machine: the least any single-process server can show for a burst to that many sockets.",
        "Hive Gateway (reference), measured at each count right after the bare server: it passes each subscription to the subgraph owning the field over graphql-ws. Our messages subgraph serves no subscriptions (our gateway serves them from Kafka), so the bare server stands in for it (bench/src/subscriptions/hive.config.ts): Hive holds one upstream subscription per subscriber on it, gets each event's message fields and its sender's key from it, and fetches the sender's displayName from the users subgraph, per event and subscriber, before writing to the socket. It checks no membership and no token (the subscribers name their caller in the upgrade request; Hive's configuration signs that identity for the users subgraph). A count at which it did not connect or deliver says why in its row.",
        ...phaseErrors,
      ],
    });
  } finally {
    for (const started of references) await started.process.stop();
    await stack.stop();
  }
}
