import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ApolloClient } from '@apollo/client';
import { ServiceProcess, waitFor, waitReady } from '../../common/test/support/processes';
import { CreateConversationDocument, HistoryDocument, RegisterDocument, SendMessageDocument, type HistoryQuery } from '../e2e/generated/graphql';
import { apolloClient, run } from '../e2e/support/client';
import { embeddedPortOffset, freshSecrets, startEmbeddedPlatform, type EmbeddedPlatform } from '../e2e/support/embedded';

/**
 * The embedded platform (`npm start`, one process) stopped with messages in flight and started again on the same data
 * folder: every accepted message still reaches READ, exactly once, none lost. Once stopped gracefully (SIGTERM, what
 * Ctrl-C does; exit 0 expected), once killed (SIGKILL: no shutdown at all). The platform simulators run as their own
 * processes here, as the real WhatsApp and Instagram would: they keep their queued receipts (READ after 1 s) and
 * retry the webhooks while the platform is down, so the messages are really unfinished when it stops.
 */
jest.setTimeout(240_000);

const offset = embeddedPortOffset();
const graphqlUrl = `http://127.0.0.1:${4000 + offset}/graphql`;
const CONVERSATIONS = 8;
const PER_BURST = 5; // per conversation
const API_SERVICES = ['users', 'messages', 'files', 'router', 'whatsapp', 'instagram', 'gateway'];

type Node = NonNullable<HistoryQuery['conversation']>['messages']['edges'][number]['node'];

const dataDir = mkdtempSync(path.join(tmpdir(), 'chat4all-restart-'));
const secrets = freshSecrets();
const simulators: ServiceProcess[] = [];
let platform: EmbeddedPlatform | undefined;
let client: ApolloClient;
const conversations: string[] = [];
const accepted: string[] = [];

function startPlatform(): Promise<EmbeddedPlatform> {
  return startEmbeddedPlatform({ dataDir, secrets, env: { CHAT4ALL_SERVICES: API_SERVICES.join(',') } });
}

function simulator(name: string, script: string, port: number, webhookPort: number, webhookVariable: string): ServiceProcess {
  return new ServiceProcess(name, script, {
    CHAT4ALL_PROFILE: 'embedded',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    PORT: String(port),
    [webhookVariable]: `http://127.0.0.1:${webhookPort}/webhook`,
    SIM_READ_AFTER_MS: '1000',
    SIM_DELIVERED_AFTER_MS: '50',
    // Enough attempts to outlast a restart (the pause doubles up to 500 ms).
    SIM_WEBHOOK_MAX_ATTEMPTS: '400',
    SIM_WEBHOOK_RETRY_MAX_MS: '500',
  });
}

async function history(conversationId: string): Promise<Node[]> {
  const { conversation } = await run(client, HistoryDocument, { conversationId, first: 50 });
  return conversation!.messages.edges.map((e) => e.node);
}

async function allNodes(): Promise<Node[]> {
  return (await Promise.all(conversations.map(history))).flat();
}

/** PER_BURST messages into every conversation at once, half of them routed to Instagram ('@' prefix); returns once all are accepted. */
async function burst(label: string): Promise<void> {
  await Promise.all(
    conversations.map(async (conversationId, c) => {
      for (let i = 0; i < PER_BURST; i++) {
        const content = `${c % 2 === 0 ? '@' : ''}${label} ${c}.${i}`;
        const { sendMessage } = await run(client, SendMessageDocument, { conversationId, content, clientMessageId: `${label}-${c}-${i}` });
        accepted.push(sendMessage.id);
      }
    }),
  );
}

beforeAll(async () => {
  simulators.push(
    simulator('whatsapp-simulator', 'connectors/whatsapp/src/simulator/main.ts', 4021 + offset, 4011 + offset, 'WHATSAPP_WEBHOOK_URL'),
    simulator('instagram-simulator', 'connectors/instagram/src/simulator/main.ts', 4022 + offset, 4012 + offset, 'INSTAGRAM_WEBHOOK_URL'),
  );
  await Promise.all(simulators.map((s, i) => waitReady(s, `http://127.0.0.1:${4021 + i + offset}/healthz`)));
  platform = await startPlatform();
  const anonymous = apolloClient(graphqlUrl);
  const { register } = await run(anonymous, RegisterDocument, { username: `restart_${randomBytes(4).toString('hex')}`, password: 'correct horse battery staple' });
  client = apolloClient(graphqlUrl, register.token);
  for (let c = 0; c < CONVERSATIONS; c++) {
    conversations.push((await run(client, CreateConversationDocument, { title: `restart ${c}`, memberIds: [] })).createConversation.id);
  }
});

afterAll(async () => {
  await platform?.kill9();
  await Promise.all(simulators.map((s) => s.stop()));
  rmSync(dataDir, { recursive: true, force: true });
});

test.each(['SIGTERM', 'SIGKILL'] as const)('stopped by %s with messages in flight, then started on the same data: nothing lost', async (signal) => {
  await burst(signal);
  const mine = new Set(accepted.slice(-CONVERSATIONS * PER_BURST));
  // READ comes a second after each send, so this burst is still on its way when the platform goes down.
  const readAtStop = (await allNodes()).filter((n) => mine.has(n.id) && n.status === 'READ').length;
  expect(readAtStop).toBeLessThan(mine.size);
  const stopped = platform!;
  const status = signal === 'SIGTERM' ? await stopped.stop() : await stopped.kill9();
  // Started again whatever the exit, so a failed assertion here does not take the next case down with it.
  platform = await startPlatform();
  if (signal === 'SIGTERM') expect({ ...status, log: status.code === 0 ? '' : stopped.process.tail(40) }).toEqual({ code: 0, signal: null, log: '' });

  // Every accepted message is still there after the restart, before any further progress is awaited.
  const nodes = await allNodes();
  expect(nodes.map((n) => n.id).sort()).toEqual([...accepted].sort());

  await waitFor(
    'every accepted message READ',
    async () => (await allNodes()).every((n) => n.status === 'READ'),
    90_000,
    () => platform!.process.tail(20),
    500,
  );
  const final = await allNodes();
  // None lost, none doubled: exactly the accepted messages, each SENT, DELIVERED, READ once, in time order.
  expect(final.map((n) => n.id).sort()).toEqual([...accepted].sort());
  for (const node of final) {
    expect(node.statusHistory.map((h) => h.status)).toEqual(['SENT', 'DELIVERED', 'READ']);
    const times = node.statusHistory.map((h) => Date.parse(h.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  }
});
