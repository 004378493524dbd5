import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EVENT_VERSION, MessageStatusChanged, TOPICS, createLogger, decodeEvent, newUuidV7, type HandlerContext, type MessageAccepted } from '@chat4all/common';
import { EmbeddedMessageStore, migrateEmbedded } from '@chat4all/messages';
import { RecordingBus } from '../../../common/test/support/recording-bus';
import { createRouteHandler } from '../src/route';
import { DEFAULT_ROUTING_RULES, routingTable } from '../src/rules';

const log = createLogger('route-test', 'silent');
let dataDir: string;
let store: EmbeddedMessageStore;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'chat4all-route-'));
  await migrateEmbedded({ dataDir }, log);
  store = await EmbeddedMessageStore.open({ dataDir });
});
afterAll(async () => {
  await store?.close();
  await rm(dataDir, { recursive: true, force: true });
});

function accepted(): MessageAccepted {
  const messageId = newUuidV7();
  return { version: EVENT_VERSION, messageId, conversationId: newUuidV7(), senderId: newUuidV7(), content: 'hello', createdAt: new Date().toISOString() };
}

/** Routes `event` once on a fresh bus; answers the statuses it announced and whether it handed the message on. */
async function route(event: MessageAccepted): Promise<{ statuses: string[]; outbound: number }> {
  const bus = new RecordingBus();
  const context = { log } as unknown as HandlerContext; // the handler only logs through its context
  await createRouteHandler({ store, bus, rules: routingTable(DEFAULT_ROUTING_RULES) })(event, context);
  return {
    statuses: bus.on(TOPICS.messagesStatus).map((r) => decodeEvent(MessageStatusChanged, r.value as Buffer).status),
    outbound: bus.published.filter((p) => p.topic.startsWith('messages.outbound.')).length,
  };
}

describe('routing a redelivered message', () => {
  it('announces SENT and DELIVERED and hands the message on, once; a redelivery while DELIVERED announces DELIVERED again only', async () => {
    const event = accepted();
    expect(await route(event)).toEqual({ statuses: ['SENT', 'DELIVERED'], outbound: 1 });
    expect(await route(event)).toEqual({ statuses: ['DELIVERED'], outbound: 0 });
  });

  it('announces nothing for a message already READ or FAILED: a late DELIVERED would read as a step back', async () => {
    for (const final of ['READ', 'FAILED'] as const) {
      const event = accepted();
      await route(event);
      await store.recordStatus(event.messageId, event.conversationId, final, new Date());
      expect(await route(event)).toEqual({ statuses: [], outbound: 0 });
    }
  });
});
