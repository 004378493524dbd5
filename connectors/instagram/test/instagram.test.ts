import { SIGNATURE_HEADER, encodeRefMetadata, newUuidV7, signBody, type Channel, type MessageRef, type PlatformMessageRefs, type SendContext } from '@chat4all/common';
import { counterValue } from '../../../common/test/support/http';
import { postWebhook, startPlatformPair, type PlatformPair } from '../../../common/test/support/platform-pair';
import { InstagramConnector, attachmentType } from '../src/instagram';
import { instagramPlatform } from '../src/simulator/platform';

const TOKEN = 'ig-test-token';
const SECRET = 'ig-test-secret';
const ACCOUNT = '17841400000000042';
const platform = instagramPlatform({ apiVersion: 'v21.0', accountId: ACCOUNT });

/** Refs kept in memory, with the save the runtime would do after a send. */
class MemoryRefs implements PlatformMessageRefs {
  readonly rows = new Map<string, MessageRef>();
  async save(channel: Channel, id: string, ref: MessageRef) {
    this.rows.set(`${channel}/${id}`, ref);
  }
  async find(channel: Channel, id: string) {
    return this.rows.get(`${channel}/${id}`) ?? null;
  }
  async close() {}
}

let pair: PlatformPair | undefined;
let refs: MemoryRefs;
async function start(): Promise<PlatformPair> {
  refs = new MemoryRefs();
  pair = await startPlatformPair({
    platform,
    connector: (url) => new InstagramConnector({ baseUrl: url, apiVersion: 'v21.0', token: TOKEN, timeoutMs: 2_000, accountId: ACCOUNT, appSecret: SECRET }),
    token: TOKEN,
    appSecret: SECRET,
    refs,
    // Receipts wait, so a test can save the mapping after the send answered, as the runtime does.
    simulator: { deliveredAfterMs: 150 },
  });
  return pair;
}
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

function ctx(conversationId: string): SendContext {
  const messageId = newUuidV7();
  return { messageId, conversationId, metadata: encodeRefMetadata({ messageId, conversationId }, 'text') };
}

test('attachment types follow the content type family', () => {
  expect(['image/png', 'video/mp4', 'audio/ogg', 'application/pdf'].map(attachmentType)).toEqual(['image', 'video', 'audio', 'file']);
});

test('the simulator refuses a failed-status rate: Instagram reports no failures by webhook', async () => {
  await expect(
    startPlatformPair({ platform, connector: (url) => new InstagramConnector({ baseUrl: url, apiVersion: 'v21.0', token: TOKEN, timeoutMs: 1000, accountId: ACCOUNT, appSecret: SECRET }), token: TOKEN, appSecret: SECRET, simulator: { failedStatusRate: 0.1 } }),
  ).rejects.toThrow(/no failures by webhook/);
});

describe('against the simulated Send API', () => {
  test('a text and a file are accepted; delivery and read receipts lead back through the refs to status events', async () => {
    const p = await start();
    const text = ctx('conv-ig');
    const textId = await p.connector.sendText('conv-ig', 'hello', text);
    await refs.save('INSTAGRAM', textId, text);
    const file = ctx('conv-ig');
    const fileId = await p.connector.sendFile('conv-ig', { url: 'https://files.example/c.mp4', filename: 'c.mp4', contentType: 'video/mp4' }, file);
    await refs.save('INSTAGRAM', fileId, file);
    await p.simulator.dispatcher.idle();
    expect(p.simulator.list().map((m) => [m.kind, m.recipient, m.metadata, m.link])).toEqual([
      ['text', 'conv-ig', text.metadata, undefined],
      ['video', 'conv-ig', file.metadata, 'https://files.example/c.mp4'],
    ]);
    // Per recipient, in send order: the first message's receipts, then the second's.
    expect(p.statuses().map((s) => [s.messageId, s.status, s.key, s.channel])).toEqual([
      [text.messageId, 'DELIVERED', 'conv-ig', 'INSTAGRAM'],
      [text.messageId, 'READ', 'conv-ig', 'INSTAGRAM'],
      [file.messageId, 'DELIVERED', 'conv-ig', 'INSTAGRAM'],
      [file.messageId, 'READ', 'conv-ig', 'INSTAGRAM'],
    ]);
  });

  test('a receipt for a mid not recorded yet answers 503; the redelivery after the save succeeds', async () => {
    const p = await start();
    const c = ctx('conv-late');
    const raw = JSON.stringify(platform.statusWebhook({ platformMessageId: 'mid.late', status: 'read', at: new Date(), send: { recipient: 'conv-late', kind: 'text' } }));
    const signed = { [SIGNATURE_HEADER]: signBody(SECRET, raw) };
    expect(await postWebhook(p.webhookUrl, raw, signed)).toBe(503);
    await refs.save('INSTAGRAM', 'mid.late', c);
    expect(await postWebhook(p.webhookUrl, raw, signed)).toBe(200);
    expect(await postWebhook(p.webhookUrl, raw, signed)).toBe(409);
    expect(p.statuses()).toEqual([expect.objectContaining({ messageId: c.messageId, status: 'READ' })]);
  });

  test('an unknown mid holds back only its own receipt: the others of the body are published at once', async () => {
    const p = await start();
    const known = ctx('conv-known');
    await refs.save('INSTAGRAM', 'mid.known', known);
    const receipt = (mid: string, recipient: string) => platform.statusWebhook({ platformMessageId: mid, status: 'read', at: new Date(), send: { recipient, kind: 'text' } });
    const [first, second] = [receipt('mid.known', 'conv-known'), receipt('mid.unknown', 'conv-unknown')] as { entry: unknown[] }[];
    const raw = JSON.stringify({ ...first, entry: [...first!.entry, ...second!.entry] });
    const signed = { [SIGNATURE_HEADER]: signBody(SECRET, raw) };
    expect(await postWebhook(p.webhookUrl, raw, signed)).toBe(503);
    expect(p.statuses()).toEqual([expect.objectContaining({ messageId: known.messageId, status: 'READ' })]);

    const late = ctx('conv-unknown');
    await refs.save('INSTAGRAM', 'mid.unknown', late);
    expect(await postWebhook(p.webhookUrl, raw, signed)).toBe(200); // the known receipt is a replay now, not published twice
    expect(p.statuses()).toEqual([
      expect.objectContaining({ messageId: known.messageId, status: 'READ' }),
      expect.objectContaining({ messageId: late.messageId, status: 'READ' }),
    ]);
  });

  test('unsigned and forged receipts are refused and counted', async () => {
    const p = await start();
    const raw = JSON.stringify(platform.statusWebhook({ platformMessageId: 'mid.x', status: 'delivered', at: new Date(), send: { recipient: 'r', kind: 'text' } }));
    expect(await postWebhook(p.webhookUrl, raw)).toBe(401);
    expect(await postWebhook(p.webhookUrl, raw, { [SIGNATURE_HEADER]: signBody('nope', raw) })).toBe(403);
    expect(await counterValue(p.registry, 'webhook_rejected_total')).toBe(2);
  });

  test('the same metadata twice gives the same mid; an attachment without url is a permanent 400', async () => {
    const p = await start();
    const c = ctx('conv-d');
    expect(await p.connector.sendText('conv-d', 'x', c)).toBe(await p.connector.sendText('conv-d', 'x', c));
    await expect(p.connector.sendFile('conv-d', { url: '', filename: 'f', contentType: 'image/png' }, ctx('conv-d'))).rejects.toMatchObject({
      httpStatus: 400,
      retriable: false,
    });
  });
});
