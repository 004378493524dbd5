import { randomBytes } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { RegisterDocument } from './generated/graphql';
import { launchChromium, recordSocketFrames, recordTraffic } from './support/browser';
import { apolloClient, run } from './support/client';
import { E2E_KEYSPACE } from './support/engines';
import { PlaygroundPage } from './support/playground';
import { STACK_MODES, startStack, type StackMode } from './support/stack';
import { startWorkers } from './support/workers';

/**
 * The playground in headless Chromium (Debian's package, driven by playwright-core) against the running platform, once
 * per stack mode: the API processes of the e2e stack plus the router, the WhatsApp connector and its simulator, on the
 * real engines; and the embedded platform (`npm start`'s one process, which runs those itself). A person is refused a
 * subscription before logging in, logs in on the page, creates a conversation, subscribes to its status changes in one
 * browser tab, sends a message from a second tab, and sees the status reach READ. Every request the pages make goes to
 * the gateway.
 * Screenshots: /tmp/chat4all-playground-<mode>.png.
 */
jest.setTimeout(180_000);

const PASSWORD = 'correct horse battery staple';

/** The platform this test talks to: only the gateway's origin matters to it (one seam, whatever runs behind it). */
interface Platform {
  gateway: string;
  stop(): Promise<void>;
}

async function startPlatform(mode: StackMode): Promise<Platform> {
  const stack = await startStack(mode);
  // The embedded platform runs the router, the connectors and the simulators itself.
  if (mode === 'embedded') return { gateway: stack.origins.gateway, stop: async () => void (await stack.stop()) };
  try {
    const workers = await startWorkers({
      CASSANDRA_KEYSPACE: E2E_KEYSPACE,
      IDENTITY_SIGNING_KEY: stack.secrets.IDENTITY_SIGNING_KEY,
      SUBGRAPH_FILES_URL: `${stack.origins.files}/graphql`,
    });
    return {
      gateway: stack.origins.gateway,
      stop: async () => {
        await workers.stop();
        await stack.stop();
      },
    };
  } catch (error) {
    await stack.stop();
    throw error;
  }
}

const WATCH_STATUS = `subscription WatchStatus($c: ID!) {
  messageStatusChanged(conversationId: $c) {
    previousStatus
    message { id content status sender { displayName } }
  }
}`;

interface StatusEvent {
  previousStatus: string | null;
  message: { id: string; content: string; status: string; sender: { displayName: string } };
}

describe.each(STACK_MODES)('the playground in a browser (%s)', (mode) => {
  let platform: Platform | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    // Each is kept as soon as it is up, so afterAll stops the platform even when the browser fails to start.
    const started = await Promise.allSettled([startPlatform(mode).then((p) => (platform = p)), launchChromium().then((b) => (browser = b))]);
    for (const result of started) if (result.status === 'rejected') throw result.reason;
  });

  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
  });

  it('refuses a subscription before login; after logging in, subscribes, sends from a second tab, shows READ; nothing leaves the gateway', async () => {
    const gateway = platform!.gateway;
    const username = `pg_${randomBytes(5).toString('hex')}`;
    const displayName = `Playground ${randomBytes(2).toString('hex')}`;
    await run(apolloClient(`${gateway}/graphql`), RegisterDocument, { username, password: PASSWORD, displayName });

    const context = await browser!.newContext({ viewport: { width: 1400, height: 850 } });
    const traffic = recordTraffic(context);
    const watcher = new PlaygroundPage(await context.newPage());
    const frames = recordSocketFrames(watcher.page);

    // Where a person goes: the GraphQL URL itself, which sends a browser to the playground.
    await watcher.open(`${gateway}/graphql`);
    expect(new URL(watcher.page.url()).pathname).toBe('/playground');
    // Before logging in, the gateway refuses the socket, and the page says what to do.
    await watcher.write('query', WATCH_STATUS);
    await watcher.write('variables', JSON.stringify({ c: 'any' }));
    await watcher.run();
    await watcher.waitForResult<{ errors?: { message: string }[] }>((r) => /4403 Forbidden\): log in/.test(r.errors?.[0]?.message ?? ''), 'the refused socket');
    await watcher.logIn(username, PASSWORD);

    await watcher.write('query', 'mutation { createConversation(title: "from the playground", memberIds: []) { id title } }');
    await watcher.run();
    const created = await watcher.waitForResult<{ data?: { createConversation?: { id: string } } }>((r) => Boolean(r.data?.createConversation?.id), 'the new conversation');
    const conversationId = created.data!.createConversation!.id;

    await watcher.write('query', WATCH_STATUS);
    await watcher.write('variables', JSON.stringify({ c: conversationId }));
    await watcher.run();
    // The socket is open and acknowledged (connection_init carried the login's token), and the subscription is sent.
    const deadline = Date.now() + 15_000;
    while (!(frames.received.some((f) => f.type === 'connection_ack') && frames.sent.some((f) => f.type === 'subscribe')) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    // Two sockets: the refused one without a token, then the logged-in one.
    expect(frames.sent.filter((f) => f.type === 'connection_init').map((f) => f.payload)).toEqual([{}, { authorization: expect.stringMatching(/^Bearer .+/) }]);
    expect(frames.received.map((f) => f.type)).toContain('connection_ack');
    // Give the gateway a moment to register the subscription before the message is sent.
    await new Promise((r) => setTimeout(r, 500));

    // A second browser tab shares the login (the token is in this browser's storage) and sends the message.
    const sender = new PlaygroundPage(await context.newPage());
    await sender.open(`${gateway}/playground`);
    await sender.page.getByTestId('session-user').filter({ hasText: username }).waitFor();
    const content = `hello from the playground ${randomBytes(3).toString('hex')}`;
    await sender.write('query', 'mutation ($c: ID!, $text: String) { sendMessage(conversationId: $c, content: $text) { id status } }');
    await sender.write('variables', JSON.stringify({ c: conversationId, text: content }));
    await sender.run();
    const sent = await sender.waitForResult<{ data?: { sendMessage?: { id: string; status: string } } }>((r) => Boolean(r.data?.sendMessage), 'the sent message');
    expect(sent.data!.sendMessage!.status).toBe('SENT');
    const messageId = sent.data!.sendMessage!.id;

    // The watching tab's result pane ends at READ, with federated fields resolved.
    const shown = await watcher.waitForResult<{ data?: { messageStatusChanged?: StatusEvent } }>(
      (r) => r.data?.messageStatusChanged?.message.id === messageId && r.data.messageStatusChanged.message.status === 'READ',
      `message ${messageId} READ`,
    );
    expect(shown.data!.messageStatusChanged).toEqual({ previousStatus: 'DELIVERED', message: { id: messageId, content, status: 'READ', sender: { displayName } } });
    // Over its socket the page received every step, in order.
    const statuses = frames.received
      .filter((f) => f.type === 'next')
      .map((f) => (f.payload as { data?: { messageStatusChanged?: StatusEvent } }).data?.messageStatusChanged)
      .filter((e): e is StatusEvent => e?.message.id === messageId)
      .map((e) => e.message.status);
    expect(statuses).toEqual(['SENT', 'DELIVERED', 'READ']);

    await watcher.page.screenshot({ path: `/tmp/chat4all-playground-${mode}.png` });

    // Logging out forgets the token in every tab: the second tab, reloaded, asks for a login again.
    await watcher.page.getByRole('button', { name: 'Log out' }).click();
    await watcher.waitForLoginForm('the tab that logged out');
    await sender.page.reload({ waitUntil: 'domcontentloaded' });
    await sender.waitForLoginForm('the other tab, reloaded');

    // Every request of both tabs went to the gateway: the page, its bundle, GraphQL, /token and the socket.
    const origins = new Set(traffic.urls.map((url) => new URL(url).host));
    expect([...origins]).toEqual([new URL(gateway).host]);
    const paths = [...new Set(traffic.urls.map((url) => new URL(url).pathname))];
    for (const path of paths) expect(path).toMatch(/^\/(graphql|token|playground(\/assets\/playground-\w+\.(js|css))?)$/);
    expect(paths.filter((path) => path.startsWith('/playground/assets/'))).toHaveLength(2);
    expect(traffic.urls.some((url) => url.startsWith(`ws://${new URL(gateway).host}/graphql`))).toBe(true);
    expect(traffic.errors).toEqual([]);
    await context.close();
  });
});
