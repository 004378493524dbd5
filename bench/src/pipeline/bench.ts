import path from 'node:path';
import { z } from 'zod';
import { deleteTopics, encodeEvent, ensureTopics, kafkaEnv, loadConfig, MessageAccepted } from '@chat4all/common';
import { CassandraMessageStore, acceptedEvent, newMessageId, type Message } from '@chat4all/messages';
import { REPO_ROOT } from '../../../common/test/support/processes';
import { startWorkers, type Workers } from '../../../test/e2e/support/workers';
import { cpuMsPer, enginePids, postgresPids, startCpuWindow, waitForQuiet, type CpuWindow } from '../cpu';
import { runLoadProcess } from '../load/process';
import { atLeast, atMost, ratio, round, startResult, type BenchResult } from '../results';
import { createConversations, registerUsers, runTag } from '../seed';
import { numbersFrom, sized, type BenchSize } from '../size';
import { startBenchStack, type BenchStack } from '../stack';
import { FinalStatusWatch } from './status-watch';
import { percentiles, type Percentiles } from './percentiles';
import type { ArrivalResult, ArrivalSpec, RawEnginesResult, RawEnginesSpec } from './spec';

/**
 * Issue 7, item 1: sendMessage through the gateway at constant arrival rates stepped up until the pipeline
 * (gateway → messages → Kafka → router → Cassandra → WhatsApp connector → simulator → webhook → READ) no longer keeps
 * up, with each transition's latency from the stored statusHistory; next to the raw rates of Kafka and Cassandra
 * measured in the same run with the same record and row sizes.
 */

interface Settings {
  rates: number[];
  stepSeconds: number;
  /** How long after a step's last send its messages may take to reach READ. */
  drainSeconds: number;
  conversations: number;
  maxInFlight: number;
  rawKafka: number;
  rawCassandra: number;
  /** Longest wait for a quiet machine before a step (waitForQuiet); smoke runs share the machine with the test suite. */
  quietTimeoutSeconds: number;
  /** Longest wait for records published before the benchmark to go through the pipeline (drainBacklog). */
  backlogSeconds: number;
}

const SETTINGS: Record<BenchSize, Settings> = {
  smoke: { rates: [10, 20], stepSeconds: 3, drainSeconds: 15, conversations: 6, maxInFlight: 200, rawKafka: 500, rawCassandra: 1000, quietTimeoutSeconds: 5, backlogSeconds: 30 },
  full: { rates: [25, 50, 100, 150, 200, 250, 375, 500, 750, 1000, 1667, 2500], stepSeconds: 10, drainSeconds: 15, conversations: 60, maxInFlight: 5000, rawKafka: 10_000, rawCassandra: 30_000, quietTimeoutSeconds: 60, backlogSeconds: 600 },
};

/** A step keeps up when this share of its sends were answered and reached READ within the drain time. */
const KEEP_UP_SHARE = 0.99;
/**
 * …and 95% of its sends were answered within this long of their due time: in an open model a step the system cannot
 * take shows as sends queueing (latency growing through the step), even when every one is answered in the end.
 */
const MAX_P95_MS = 2_000;
const CONTENT = 'pipeline benchmark message 0000: a sentence or two of ordinary chat text';

export interface StepResult {
  rate: number;
  sends: Omit<ArrivalResult, 'messageIds'>;
  /** Share of answered sends that reached READ within the drain time. */
  readShare: number;
  keptUp: boolean;
  sentToDelivered: Percentiles;
  deliveredToRead: Percentiles;
  endToEnd: Percentiles;
  /**
   * CPU each process spent from the step's start until its messages were drained, and per message sent; `idle`, what
   * they used with no load just before the step (after waiting for the machine to quiet down).
   */
  cpu: { window: CpuWindow; msPerMessage: Record<string, number>; idle: CpuWindow & { quiet: boolean; waitedSeconds: number } };
}

async function readMessages(store: CassandraMessageStore, ids: string[]): Promise<Message[]> {
  const found: Message[] = [];
  for (let i = 0; i < ids.length; i += 200) {
    for (const message of await store.getMany(ids.slice(i, i + 200))) if (message) found.push(message);
  }
  return found;
}

function transitionTimes(messages: Message[]): Pick<StepResult, 'sentToDelivered' | 'deliveredToRead' | 'endToEnd'> {
  const sd: number[] = [];
  const dr: number[] = [];
  const e2e: number[] = [];
  for (const m of messages) {
    const at = (status: string) => m.statusHistory.find((t) => t.status === status)?.at.getTime();
    const sent = at('SENT');
    const delivered = at('DELIVERED');
    const read = at('READ');
    if (sent !== undefined && delivered !== undefined) sd.push(delivered - sent);
    if (delivered !== undefined && read !== undefined) dr.push(read - delivered);
    if (sent !== undefined && read !== undefined) e2e.push(read - sent);
  }
  return { sentToDelivered: percentiles(sd), deliveredToRead: percentiles(dr), endToEnd: percentiles(e2e) };
}

async function rawEngines(stack: BenchStack, s: Settings): Promise<RawEnginesResult> {
  const kafka = loadConfig(z.object(kafkaEnv));
  const tag = runTag();
  const topics: [string, string] = [`bench.raw.${tag}.single`, `bench.raw.${tag}.batched`];
  const sample = acceptedEvent({ id: newMessageId(), conversationId: newMessageId(), senderId: newMessageId(), content: CONTENT, createdAt: new Date() });
  const spec: RawEnginesSpec = {
    kafka: { brokers: kafka.KAFKA_BROKERS, topics, count: s.rawKafka, batch: 100, concurrency: 64, valueBytes: encodeEvent(MessageAccepted, sample).length, keys: s.conversations },
    cassandra: {
      contactPoints: stack.cassandra.CASSANDRA_CONTACT_POINTS,
      localDataCenter: stack.cassandra.CASSANDRA_LOCAL_DC,
      keyspace: stack.cassandra.CASSANDRA_KEYSPACE,
      count: s.rawCassandra,
      concurrency: 128,
      contentChars: CONTENT.length,
    },
  };
  // As many partitions as the platform topics (KAFKA_TOPIC_PARTITIONS' default).
  await ensureTopics(kafka, topics, { partitions: 6, replicationFactor: 1 });
  try {
    return await runLoadProcess<RawEnginesSpec, RawEnginesResult>(path.join(REPO_ROOT, 'bench/src/pipeline/raw-engines.ts'), spec, 10 * 60_000);
  } finally {
    await deleteTopics(kafka, topics);
  }
}

export async function runPipelineBench(size: BenchSize): Promise<BenchResult> {
  const s = { ...sized(size, SETTINGS) };
  // BENCH_PIPELINE_RATES=100,250 steps through these rates instead of the size's (to look at one rate closely).
  s.rates = numbersFrom(process.env, 'BENCH_PIPELINE_RATES', s.rates);
  const finish = startResult('pipeline', size);
  const stack = await startBenchStack();
  let workers: Workers | undefined;
  const store = await CassandraMessageStore.connect(stack.cassandra);
  let watch: FinalStatusWatch | undefined;
  try {
    workers = await startWorkers({
      CASSANDRA_KEYSPACE: stack.cassandra.CASSANDRA_KEYSPACE,
      IDENTITY_SIGNING_KEY: stack.secrets.IDENTITY_SIGNING_KEY,
      SUBGRAPH_FILES_URL: `${stack.origins.files}/graphql`,
    });
    const [sender, peer] = await registerUsers(stack.graphqlUrl, [`pipe-${runTag()}`, `pipe-${runTag()}`]);
    const conversationIds = await createConversations(stack.graphqlUrl, sender!, Array.from({ length: s.conversations }, () => [peer!.id]));

    watch = await FinalStatusWatch.start();
    const backlog = await watch.drainBacklog(s.backlogSeconds);
    if (backlog.before > 0) console.log(`bench: pipeline: ${backlog.before} records were waiting in the pipeline's groups; ${backlog.after} left after ${backlog.waitedSeconds} s`);
    // After the backlog: the workers routing it would share the cores with the raw engines' measurement.
    const raw = await rawEngines(stack, s);
    // Warm-up, not measured: the first sends plan the operation, open pools and JIT the path; a cold start would count
    // against the first step's p95.
    const warmUp: ArrivalSpec = { graphqlUrl: stack.graphqlUrl, token: sender!.token, conversationIds, rate: 10, durationSeconds: 2, maxInFlight: s.maxInFlight };
    await watch.drain((await runLoadProcess<ArrivalSpec, ArrivalResult>(path.join(REPO_ROOT, 'bench/src/pipeline/arrivals.ts'), warmUp, 120_000)).messageIds, s.drainSeconds);
    const steps: StepResult[] = [];
    for (const rate of s.rates) {
      const spec: ArrivalSpec = { graphqlUrl: stack.graphqlUrl, token: sender!.token, conversationIds, rate, durationSeconds: s.stepSeconds, maxInFlight: s.maxInFlight };
      const pids = { ...stack.pids, ...workers.pids, ...enginePids(), postgres: postgresPids() };
      const idle = await waitForQuiet(pids, { timeoutMs: s.quietTimeoutSeconds * 1000 });
      // CPU from the step's start until its messages are drained: all the work its messages caused, per message.
      const window = startCpuWindow(pids);
      const { messageIds, ...sends } = await runLoadProcess<ArrivalSpec, ArrivalResult>(path.join(REPO_ROOT, 'bench/src/pipeline/arrivals.ts'), spec, (s.stepSeconds + 120) * 1000);
      await watch.drain(messageIds, s.drainSeconds);
      const cpuWindow = window.end();
      // Read once the window is closed: the statuses as stored, and their times for the transitions.
      const messages = await readMessages(store, messageIds);
      const cpu = { window: cpuWindow, msPerMessage: cpuMsPer(cpuWindow, sends.scheduled), idle };
      const read = messages.filter((m) => m.status === 'READ');
      const readShare = sends.scheduled === 0 ? 0 : read.length / sends.scheduled;
      // Answered in time too: an open-model step whose sends queue up for a minute did not keep up.
      const keptUp = sends.ok >= KEEP_UP_SHARE * sends.scheduled && readShare >= KEEP_UP_SHARE && sends.latencyMs.p95 <= MAX_P95_MS;
      steps.push({ rate, sends, readShare: round(readShare, 4), keptUp, ...transitionTimes(read), cpu });
      console.log(`bench: pipeline: ${rate}/s ${keptUp ? 'kept up' : 'did not keep up'} (answered ${sends.ok}/${sends.scheduled}, READ ${read.length})`);
      if (!keptUp) break;
    }

    const sustained = Math.max(0, ...steps.filter((st) => st.keptUp).map((st) => st.rate));
    const best = steps.find((st) => st.rate === sustained);
    // The engines' limits: Kafka batched (what the broker takes), Cassandra row inserts; one-record sends are shown too.
    const slowestRaw = Math.min(raw.kafkaBatchedPerSecond, raw.cassandraPerSecond);
    const ratios = {
      'sustained/slowest raw engine rate': ratio(sustained, slowestRaw),
      'sustained/raw Kafka one-record sends': ratio(sustained, raw.kafkaSinglePerSecond),
    };
    const ms = (p: Percentiles) => `${p.p50} / ${p.p99}`;
    return finish({
      parameters: { ...s, keepUpShare: KEEP_UP_SHARE, maxP95Ms: MAX_P95_MS, contentChars: CONTENT.length },
      measurements: { sustainedPerSecond: sustained, raw, backlog, steps },
      ratios,
      targets: [
        atLeast('sustained SENT→READ messages/s', sustained, 1667),
        atMost(`sendMessage p95 at the sustained rate (ms)`, best ? best.sends.latencyMs.p95 : null, 200),
        atLeast('sustained / slowest raw engine rate', ratios['sustained/slowest raw engine rate'], 0.5),
      ],
      table: {
        columns: ['rate /s', 'kept up', 'answered/s', 'sendMessage p50 / p95 / p99 ms', 'READ share', 'SENT→DELIVERED p50 / p99 ms', 'DELIVERED→READ p50 / p99 ms', 'end to end p50 / p99 ms'],
        rows: [
          ...steps.map((st) => [
            st.rate,
            st.keptUp ? 'yes' : 'no',
            round(st.sends.achievedRate, 1),
            `${st.sends.latencyMs.p50} / ${st.sends.latencyMs.p95} / ${st.sends.latencyMs.p99}`,
            st.readShare,
            ms(st.sentToDelivered),
            ms(st.deliveredToRead),
            ms(st.endToEnd),
          ]),
          [`raw Kafka produce+consume, one record per send: ${round(raw.kafkaSinglePerSecond, 0)}/s`, '-', '-', '-', '-', '-', '-', '-'],
          [`raw Kafka produce+consume, 100 per send: ${round(raw.kafkaBatchedPerSecond, 0)}/s`, '-', '-', '-', '-', '-', '-', '-'],
          [`raw Cassandra insert: ${round(raw.cassandraPerSecond, 0)}/s`, '-', '-', '-', '-', '-', '-', '-'],
        ],
      },
      notes: [
        `Before the raw engine rates and the first step, records already waiting for the pipeline's consumer groups (router, WhatsApp connector, status persister, users' activity; e.g. an earlier subscriptions run's messages, routed like any others) are let through first: ${backlog.before} were waiting, ${backlog.after} left after ${backlog.waitedSeconds} s (at most ${s.backlogSeconds} s).`,
        ...(steps.every((st) => st.keptUp) ? [`Every step kept up, so ${sustained}/s is a lower bound of the sustained rate.`] : []),
        `Each step sends sendMessage at a constant arrival rate for ${s.stepSeconds} s from a separate process (open model; latency from each request's due time) into ${s.conversations} conversations, then allows ${s.drainSeconds} s for its messages to reach READ; a step keeps up when ≥ ${KEEP_UP_SHARE * 100}% of its sends were answered and READ, and sendMessage p95 (from each send's due time) stayed ≤ ${MAX_P95_MS} ms. Stepping stops at the first step that does not.`,
        'Transition times come from the statusHistory stored in Cassandra (SENT at creation, DELIVERED by the router, READ from the simulator\'s webhook); the store never records a transition earlier than the one before it, so a READ reported before the router\'s DELIVERED time shows as ~0 ms DELIVERED→READ.',
        `CPU ms per message sent, by process (utime + stime from /proc, from each step's start until its messages were drained; the load process not counted), and cores busy (these processes / the whole machine): ${steps
          .map((st) => `${st.rate}/s: ${Object.entries(st.cpu.msPerMessage).map(([name, ms]) => `${name} ${ms}`).join(', ')} (${st.cpu.window.cores} / ${st.cpu.window.machineCores})`)
          .join('; ')}.`,
        `Before each step the benchmark waits for the machine to quiet down (under 0.3 busy cores over 2 s, at most ${s.quietTimeoutSeconds} s: a burst's leftovers, such as Cassandra's flushes and compactions, are not charged to the next step); what the processes used then, with no load, in cores: ${steps
          .map((st) => `before ${st.rate}/s: ${Object.entries(st.cpu.idle.seconds).filter(([, sec]) => sec > 0).map(([name, sec]) => `${name} ${round(sec / st.cpu.idle.wallSeconds, 3)}`).join(', ')} (${st.cpu.idle.cores}; machine ${st.cpu.idle.machineCores}${st.cpu.idle.quiet ? '' : ', never quiet'})`)
          .join('; ')}.`,
        `Raw rates, same run: kafkajs ${s.rawKafka} records of a MessageAccepted event's size with the event bus's producer settings (idempotent, acks all, one request in flight; 64 sends waiting), one record per send and then 100 per send, consumed by a group; cassandra-driver ${s.rawCassandra} prepared inserts of a message row (128 in flight). The ratio uses the slower of Kafka batched and Cassandra.`,
      ],
    });
  } finally {
    await watch?.stop();
    await store.close();
    await workers?.stop();
    await stack.stop();
  }
}
