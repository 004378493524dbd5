import { runHttpLoad } from '../load/http';
import type { HttpLoadResult, LoadAuth } from '../load/spec';
import { atLeast, atMost, medianBy, ratio, round, startResult, type BenchResult } from '../results';
import { createConversations, insertMessages, registerUsers, runTag, saveFileRecords, type SeedUser } from '../seed';
import { sized, type BenchSize } from '../size';
import { startBenchStack, type BenchStack } from '../stack';
import { graphql, bearer } from '../graphql';
import { HISTORY_QUERY, PAGE, SUBGRAPH_PAGE_QUERY, historyBody, subgraphPageBody } from '../queries';
import { startHive, startPlainApollo, stackSupergraph, type ReferenceGateway } from './references';
import { signIdentity } from '@chat4all/common';
import { cpuMsPer, enginePids, postgresPids, startCpuWindow, type CpuWindow } from '../cpu';

/**
 * Issue 7, item 2: one federated query (a history page of 50 messages with senders and attachments: messages, then
 * users + files) through (a) our gateway, (b) plain @apollo/gateway, (c) Hive Gateway, all on the same
 * supergraph and subgraph processes, and (d) the messages subgraph alone answering the fetch a gateway sends it (the
 * ceiling). Every request asks for another conversation, so no gateway can answer from a merged in-flight request.
 */

interface Settings {
  conversations: number;
  /** Other members: conversation i has partners i and i+1 (mod this), so sender batches differ between neighbours. */
  partners: number;
  /** Every n-th message of a page carries an attachment. */
  attachmentEvery: number;
  connections: number;
  warmupSeconds: number;
  /** Rounds through every target, in turn; each target reports its median round (by RPS). */
  rounds: number;
  /** Seconds measured per target per round (after a warm-up of `roundWarmupSeconds`). */
  durationSeconds: number;
  roundWarmupSeconds: number;
}

const SETTINGS: Record<BenchSize, Settings> = {
  smoke: { conversations: 6, partners: 3, attachmentEvery: 10, connections: 4, warmupSeconds: 1, rounds: 1, durationSeconds: 2, roundWarmupSeconds: 1 },
  full: { conversations: 200, partners: 40, attachmentEvery: 10, connections: 16, warmupSeconds: 5, rounds: 3, durationSeconds: 10, roundWarmupSeconds: 2 },
};

interface Round {
  load: HttpLoadResult;
  cpu: { window: CpuWindow; msPerRequest: Record<string, number> } | undefined;
}

interface Seeded {
  reader: SeedUser;
  conversationIds: string[];
}

async function seed(stack: BenchStack, s: Settings): Promise<Seeded> {
  const tag = runTag();
  const [reader, ...partners] = await registerUsers(stack.graphqlUrl, [`gw-${tag}-reader`, ...Array.from({ length: s.partners }, (_, i) => `gw-${tag}-p${i}`)]);
  const memberSets = Array.from({ length: s.conversations }, (_, i) => [partners[i % s.partners]!.id, partners[(i + 1) % s.partners]!.id]);
  const conversationIds = await createConversations(stack.graphqlUrl, reader!, memberSets);
  const filesPerPage = Math.ceil(PAGE / s.attachmentEvery);
  const fileIds = await saveFileRecords(stack, reader!.id, s.conversations * filesPerPage);
  await insertMessages(
    stack,
    conversationIds.map((conversationId, c) => ({
      conversationId,
      count: PAGE,
      senderIds: [reader!.id, ...memberSets[c]!],
      fileOf: (i) => (i % s.attachmentEvery === 0 ? fileIds[c * filesPerPage + i / s.attachmentEvery] : undefined),
    })),
  );
  return { reader: reader!, conversationIds };
}

interface Target {
  name: string;
  url: string;
  auth: LoadAuth;
  bodies: string[];
  expectInBody: string;
}

/** The page minus presigned URLs (they carry the signing time), for comparing what each gateway answered. */
function comparable(data: unknown): string {
  return JSON.stringify(data, (key, value: unknown) => (key === 'url' ? typeof value : value));
}

type HistoryData = {
  conversation: { messages: { edges: { node: { sender: { displayName: string } | null; attachment: { filename: string } | null } }[] } } | null;
};

/** One request through each gateway before any load: every one must answer the full page, and all the same. */
async function checkAnswers(gateways: { name: string; url: string; headers: Record<string, string> }[], conversationId: string): Promise<void> {
  let first: string | undefined;
  for (const gateway of gateways) {
    const data = await graphql<HistoryData>(gateway.url, HISTORY_QUERY, { id: conversationId }, gateway.headers);
    const edges = data.conversation?.messages.edges ?? [];
    const attachments = edges.filter((e) => e.node.attachment?.filename).length;
    if (edges.length !== PAGE || edges.some((e) => !e.node.sender?.displayName) || attachments === 0) {
      throw new Error(`${gateway.name} answered an incomplete page: ${JSON.stringify(data).slice(0, 400)}`);
    }
    const shape = comparable(data);
    if (first !== undefined && shape !== first) throw new Error(`${gateway.name} answered differently from ${gateways[0]!.name}`);
    first = shape;
  }
}

export async function runGatewayBench(size: BenchSize): Promise<BenchResult> {
  const s = sized(size, SETTINGS);
  const finish = startResult('gateway', size);
  const stack = await startBenchStack();
  const references: ReferenceGateway[] = [];
  try {
    const seeded = await seed(stack, s);
    const supergraph = stackSupergraph(stack);
    const plain = await startPlainApollo(supergraph);
    references.push(plain);
    const hive = await startHive(supergraph);
    references.push(hive);

    const identity: LoadAuth = { kind: 'identity', userId: seeded.reader.id, username: seeded.reader.username, key: stack.secrets.IDENTITY_SIGNING_KEY };
    const signed = () => signIdentity({ userId: seeded.reader.id, username: seeded.reader.username }, stack.secrets.IDENTITY_SIGNING_KEY);
    await checkAnswers(
      [
        { name: 'ours', url: stack.graphqlUrl, headers: bearer(seeded.reader.token) },
        { name: 'plain Apollo Gateway', url: plain.graphqlUrl, headers: signed() },
        { name: 'Hive Gateway', url: hive.graphqlUrl, headers: signed() },
      ],
      seeded.conversationIds[0]!,
    );

    const historyBodies = seeded.conversationIds.map(historyBody);
    const ceilingBodies = seeded.conversationIds.map(subgraphPageBody);
    const targets: Target[] = [
      { name: 'ours', url: stack.graphqlUrl, auth: { kind: 'bearer', token: seeded.reader.token }, bodies: historyBodies, expectInBody: 'displayName' },
      { name: 'plain', url: plain.graphqlUrl, auth: identity, bodies: historyBodies, expectInBody: 'displayName' },
      { name: 'hive', url: hive.graphqlUrl, auth: identity, bodies: historyBodies, expectInBody: 'displayName' },
      { name: 'ceiling', url: `${stack.origins.messages}/graphql`, auth: identity, bodies: ceilingBodies, expectInBody: '"edges"' },
    ];
    // One unmeasured pass through every target first: the subgraphs' JIT and the engines' caches are then as warm
    // for the first target measured as for the last (measured first, ours paid ~30% more subgraph CPU per request).
    for (const target of targets) {
      await runHttpLoad({ url: target.url, bodies: target.bodies, auth: target.auth, connections: s.connections, warmupSeconds: 0, durationSeconds: s.warmupSeconds, expectInBody: target.expectInBody });
    }
    const referencePids: Record<string, number | undefined> = { plain: plain.process.pid, hive: hive.process.pid };
    const rounds: Record<string, Round[]> = Object.fromEntries(targets.map((t) => [t.name, []]));
    // Targets take turns, round after round: a slow stretch of the machine (a compaction, another process) lands on
    // one round of each rather than on one target's whole measurement.
    for (let pass = 0; pass < s.rounds; pass++) {
      for (const target of targets) {
        // The processes this target's requests run through (a reference gateway replaces ours), plus the engines.
        const gatewayPid = target.name in referencePids ? referencePids[target.name] : target.name === 'ours' ? stack.pids.gateway : undefined;
        const pids = { gateway: gatewayPid, users: stack.pids.users, messages: stack.pids.messages, files: stack.pids.files, ...enginePids(), postgres: postgresPids() };
        let window: ReturnType<typeof startCpuWindow> | undefined;
        // CPU is counted over the measured window only (the load process starts its own after the warm-up).
        const warmedUp = setTimeout(() => (window = startCpuWindow(pids)), s.roundWarmupSeconds * 1000);
        const load = await runHttpLoad({
          url: target.url,
          bodies: target.bodies,
          auth: target.auth,
          connections: s.connections,
          warmupSeconds: s.roundWarmupSeconds,
          durationSeconds: s.durationSeconds,
          expectInBody: target.expectInBody,
        });
        clearTimeout(warmedUp);
        const ended = window?.end();
        rounds[target.name]!.push({ load, cpu: ended && { window: ended, msPerRequest: cpuMsPer(ended, load.rps * ended.wallSeconds) } });
      }
    }
    const median = Object.fromEntries(targets.map((t) => [t.name, medianBy(rounds[t.name]!, (r) => r.load.rps)]));
    const measured = Object.fromEntries(Object.entries(median).map(([name, r]) => [name, r.load]));
    const cpu = Object.fromEntries(Object.entries(median).flatMap(([name, r]) => (r.cpu ? [[name, r.cpu]] : [])));
    const roundRps = Object.fromEntries(Object.entries(rounds).map(([name, list]) => [name, list.map((r) => round(r.load.rps, 1))]));
    const m = measured as Record<'ours' | 'plain' | 'hive' | 'ceiling', HttpLoadResult>;
    const ratios = {
      'ours/hive rps': ratio(m.ours.rps, m.hive.rps),
      'ours/plain rps': ratio(m.ours.rps, m.plain.rps),
      'plain/hive rps': ratio(m.plain.rps, m.hive.rps),
      'ours/ceiling rps': ratio(m.ours.rps, m.ceiling.rps),
      'plain/ceiling rps': ratio(m.plain.rps, m.ceiling.rps),
      'hive/ceiling rps': ratio(m.hive.rps, m.ceiling.rps),
      'ours/plain p99': ratio(m.ours.latencyMs.p99, m.plain.latencyMs.p99),
      // The gateway process's own CPU per request: what each gateway costs, apart from the subgraphs and engines all
      // three share on this machine (which set the RPS when they cost more than the gateway does).
      'hive/ours gateway CPU per request': ratio(cpu.hive?.msPerRequest.gateway ?? 0, cpu.ours?.msPerRequest.gateway ?? 0),
      'plain/ours gateway CPU per request': ratio(cpu.plain?.msPerRequest.gateway ?? 0, cpu.ours?.msPerRequest.gateway ?? 0),
    };
    const label: Record<string, string> = {
      ours: '(a) our gateway (auth, signing, limits)',
      plain: '(b) plain @apollo/gateway',
      hive: '(c) Hive Gateway 2.15.1',
      ceiling: '(d) messages subgraph alone (ceiling)',
    };
    return finish({
      parameters: { ...s, pageSize: PAGE, query: HISTORY_QUERY, ceilingQuery: SUBGRAPH_PAGE_QUERY },
      measurements: { ...measured, cpu, roundRps },
      ratios,
      targets: [
        atLeast('our RPS / Hive Gateway RPS', ratios['ours/hive rps'], 1.5),
        atLeast('our RPS / subgraph ceiling RPS', ratios['ours/ceiling rps'], 0.5),
        atMost('our p99 / plain Apollo Gateway p99', ratios['ours/plain p99'], 1),
      ],
      table: {
        columns: ['target', 'RPS', 'p50 ms', 'p90 ms', 'p99 ms', 'requests', 'errors + non-2xx + bad answers'],
        rows: targets.map(({ name }) => {
          const r = m[name as keyof typeof m];
          return [label[name]!, round(r.rps, 1), r.latencyMs.p50, r.latencyMs.p90, r.latencyMs.p99, r.requests, r.errors + r.non2xx + r.badAnswers];
        }),
      },
      notes: [
        `${s.conversations} conversations of ${PAGE} messages (3 senders each, an attachment on every ${s.attachmentEvery}th message), requests cycle through them; ${s.connections} connections from a separate autocannon process; first an unmeasured ${s.warmupSeconds} s pass through every target, then ${s.rounds} rounds in which each target in turn gets ${s.roundWarmupSeconds} s warm-up and ${s.durationSeconds} s measured; each target reports its median round by RPS (every round's RPS: ${JSON.stringify(roundRps)}).`,
        'Every subgraph and engine runs on the same machine as the gateway under test, so each number includes their cost.',
        `CPU ms per request (utime + stime from /proc over the measured window; the load process not counted), and cores busy (these processes / the whole machine): ${Object.entries(cpu)
          .map(([name, { msPerRequest, window }]) => `${name}: ${Object.entries(msPerRequest).map(([p, ms]) => `${p} ${ms}`).join(', ')} (${window.cores} / ${window.machineCores})`)
          .join('; ')}.`,
      ],
    });
  } finally {
    for (const reference of references) await reference.process.stop();
    await stack.stop();
  }
}
