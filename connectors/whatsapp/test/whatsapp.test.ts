import { PlatformError, SIGNATURE_HEADER, newUuidV7, signBody, type SendContext } from '@chat4all/common';
import { encodeRefMetadata } from '@chat4all/common';
import { counterValue, rawRequest } from '../../../common/test/support/http';
import { postWebhook, startPlatformPair, type PairOptions, type PlatformPair } from '../../../common/test/support/platform-pair';
import { WhatsAppConnector, mapWhatsAppStatus } from '../src/whatsapp';
import { whatsappPlatform } from '../src/simulator/platform';

const TOKEN = 'test-token';
const SECRET = 'test-app-secret';
const PHONE = '100000000000042';
const platform = whatsappPlatform({ apiVersion: 'v21.0', phoneNumberId: PHONE });

function connectorFor(apiUrl: string, token = TOKEN) {
  return new WhatsAppConnector({ baseUrl: apiUrl, apiVersion: 'v21.0', token, timeoutMs: 2_000, phoneNumberId: PHONE, appSecret: SECRET, verifyToken: 'verify-me' });
}

let pair: PlatformPair | undefined;
async function start(simulator: PairOptions['simulator'] = {}, replayWindowMs?: number): Promise<PlatformPair> {
  pair = await startPlatformPair({ platform, connector: (url) => connectorFor(url), token: TOKEN, appSecret: SECRET, simulator, ...(replayWindowMs ? { replayWindowMs } : {}) });
  return pair;
}
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

function ctx(conversationId = 'conv-1'): SendContext {
  const messageId = newUuidV7();
  return { messageId, conversationId, metadata: encodeRefMetadata({ messageId, conversationId }, 'text') };
}

/** A status webhook body for a message, as WhatsApp shapes it. */
function statusBody(id: string, status: 'delivered' | 'read' | 'failed', c: SendContext, at = new Date()): string {
  return JSON.stringify(platform.statusWebhook({ platformMessageId: id, status, at, send: { recipient: c.conversationId, kind: 'text', metadata: c.metadata } }));
}

test('WhatsApp statuses map to ours; sent and unknown ones to nothing', () => {
  expect(['delivered', 'read', 'failed', 'sent', 'deleted'].map(mapWhatsAppStatus)).toEqual(['DELIVERED', 'READ', 'FAILED', null, null]);
});

describe('against the simulated Cloud API', () => {
  test('a text is accepted, then delivered and read come back by signed webhook as status events', async () => {
    const p = await start();
    const c = ctx('conv-text');
    const id = await p.connector.sendText('conv-text', 'hello', c);
    expect(id).toMatch(/^wamid\./);
    await p.simulator.dispatcher.idle();
    expect(p.simulator.list()).toEqual([expect.objectContaining({ id, recipient: 'conv-text', kind: 'text', metadata: c.metadata, requests: 1 })]);
    expect(p.statuses()).toEqual([
      expect.objectContaining({ key: 'conv-text', messageId: c.messageId, conversationId: 'conv-text', status: 'DELIVERED', channel: 'WHATSAPP', source: 'connector-whatsapp' }),
      expect.objectContaining({ key: 'conv-text', messageId: c.messageId, status: 'READ' }),
    ]);
    expect(await counterValue(p.registry, 'webhook_status_events_total', { status: 'READ' })).toBe(1);
  });

  test('files go as image (jpeg/png) or as document', async () => {
    const p = await start();
    await p.connector.sendFile('conv-f', { url: 'https://files.example/a.png', filename: 'a.png', contentType: 'image/png', caption: 'look' }, ctx('conv-f'));
    await p.connector.sendFile('conv-f', { url: 'https://files.example/b.pdf', filename: 'b.pdf', contentType: 'application/pdf' }, ctx('conv-f'));
    expect(p.simulator.list().map((m) => [m.kind, m.link])).toEqual([
      ['image', 'https://files.example/a.png'],
      ['document', 'https://files.example/b.pdf'],
    ]);
  });

  test('the same metadata twice is one platform message: same id, one webhook series', async () => {
    const p = await start();
    const c = ctx('conv-dup');
    const first = await p.connector.sendText('conv-dup', 'once', c);
    const second = await p.connector.sendText('conv-dup', 'once', c);
    expect(second).toBe(first);
    await p.simulator.dispatcher.idle();
    expect(p.simulator.stats().sends).toMatchObject({ accepted: 1, duplicate: 1 });
    expect(p.simulator.list()).toEqual([expect.objectContaining({ id: first, requests: 2 })]);
    expect(p.statuses().map((s) => s.status)).toEqual(['DELIVERED', 'READ']);
  });

  test('injected failures answer 500/503 in the Graph error shape and are retriable', async () => {
    const p = await start({ failureRate: 1 });
    const error = await p.connector.sendText('conv-x', 'hi', ctx('conv-x')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformError);
    expect(error).toMatchObject({ retriable: true });
    expect([500, 503]).toContain((error as PlatformError).httpStatus);
    expect((error as PlatformError).message).toMatch(/HTTP 50[03]: (An unknown error has occurred\.|Service temporarily unavailable) \(code [12]\)/);
    expect(p.simulator.list()).toEqual([]);
  });

  test('a wrong token is refused (401, code 190); an invalid request is a permanent 400', async () => {
    const p = await start();
    const wrong = connectorFor(p.apiUrl, 'not-the-token');
    await expect(wrong.sendText('conv', 'hi', ctx())).rejects.toMatchObject({ httpStatus: 401, message: expect.stringMatching(/code 190/) });
    const invalid = await p.connector.sendText('conv', '', ctx()).catch((e: unknown) => e);
    expect(invalid).toMatchObject({ httpStatus: 400, retriable: false, message: expect.stringMatching(/text\.body is required/) });
  });

  test('a failed status comes back as FAILED with the platform reason', async () => {
    const p = await start({ failedStatusRate: 1 });
    const c = ctx('conv-fail');
    await p.connector.sendText('conv-fail', 'bye', c);
    await p.simulator.dispatcher.idle();
    expect(p.statuses()).toEqual([expect.objectContaining({ messageId: c.messageId, status: 'FAILED', reason: expect.stringMatching(/Message undeliverable \(code 131026\)/) })]);
  });
});

describe('webhook endpoint', () => {
  test('unsigned → 401, forged → 403, signed garbage → 400, each counted; nothing published', async () => {
    const p = await start();
    const c = ctx();
    const raw = statusBody('wamid.A', 'read', c);
    expect(await postWebhook(p.webhookUrl, raw)).toBe(401);
    expect(await postWebhook(p.webhookUrl, raw, { [SIGNATURE_HEADER]: signBody('wrong-secret', raw) })).toBe(403);
    const tampered = raw.replace('"read"', '"sent"');
    expect(await postWebhook(p.webhookUrl, tampered, { [SIGNATURE_HEADER]: signBody(SECRET, raw) })).toBe(403);
    expect(await postWebhook(p.webhookUrl, '{"object":', { [SIGNATURE_HEADER]: signBody(SECRET, '{"object":') })).toBe(400);
    expect(await postWebhook(p.webhookUrl, '{"object":"page"}', { [SIGNATURE_HEADER]: signBody(SECRET, '{"object":"page"}') })).toBe(400);
    expect(await counterValue(p.registry, 'webhook_rejected_total', { reason: 'unsigned' })).toBe(1);
    expect(await counterValue(p.registry, 'webhook_rejected_total', { reason: 'forged' })).toBe(2);
    expect(await counterValue(p.registry, 'webhook_rejected_total', { reason: 'malformed' })).toBe(2);
    expect(p.statuses()).toEqual([]);
  });

  test('a replayed event (same body again) and a stale one are refused with 409 and counted', async () => {
    const p = await start({}, 60_000);
    const c = ctx('conv-r');
    const raw = statusBody('wamid.B', 'read', c);
    const signed = { [SIGNATURE_HEADER]: signBody(SECRET, raw) };
    expect(await postWebhook(p.webhookUrl, raw, signed)).toBe(200);
    expect(await postWebhook(p.webhookUrl, raw, signed)).toBe(409);
    const old = statusBody('wamid.C', 'read', c, new Date(Date.now() - 120_000));
    expect(await postWebhook(p.webhookUrl, old, { [SIGNATURE_HEADER]: signBody(SECRET, old) })).toBe(409);
    expect(await counterValue(p.registry, 'webhook_rejected_total', { reason: 'replayed' })).toBe(1);
    expect(await counterValue(p.registry, 'webhook_rejected_total', { reason: 'stale' })).toBe(1);
    expect(p.statuses()).toEqual([expect.objectContaining({ messageId: c.messageId, status: 'READ', key: 'conv-r' })]);
  });

  test('a failed publish answers 503 and the same event is accepted when delivered again', async () => {
    const p = await start();
    const raw = statusBody('wamid.D', 'delivered', ctx());
    const signed = { [SIGNATURE_HEADER]: signBody(SECRET, raw) };
    p.bus.failNext = 1;
    expect(await postWebhook(p.webhookUrl, raw, signed)).toBe(503);
    expect(await postWebhook(p.webhookUrl, raw, signed)).toBe(200);
    expect(p.statuses()).toHaveLength(1);
  });

  test('a redelivery overtaking a delivery still being handled is asked again (503): the event survives the first one failing', async () => {
    const p = await start();
    const raw = statusBody('wamid.H', 'failed', ctx());
    const signed = { [SIGNATURE_HEADER]: signBody(SECRET, raw) };
    const open = p.bus.hold();
    const first = postWebhook(p.webhookUrl, raw, signed);
    for (let i = 0; i < 500 && p.bus.waiting === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(p.bus.waiting).toBe(1);
    // Refusing it (409) would make the platform stop delivering it: if the first then failed, the status was lost.
    expect(await postWebhook(p.webhookUrl, raw, signed)).toBe(503);
    p.bus.failNext = 1;
    open();
    expect(await first).toBe(503);
    expect(await postWebhook(p.webhookUrl, raw, signed)).toBe(200);
    expect(await postWebhook(p.webhookUrl, raw, signed)).toBe(409);
    expect(p.statuses()).toEqual([expect.objectContaining({ status: 'FAILED' })]);
    expect(await counterValue(p.registry, 'webhook_rejected_total', { reason: 'in_flight' })).toBe(1);
  });

  test('the same status twice in one body is one event, published once', async () => {
    const p = await start();
    type Body = { entry: { changes: { value: { statuses: unknown[] } }[] }[] };
    const body = JSON.parse(statusBody('wamid.I', 'read', ctx())) as Body;
    const statuses = body.entry[0]!.changes[0]!.value.statuses;
    statuses.push(statuses[0]);
    const raw = JSON.stringify(body);
    expect(await postWebhook(p.webhookUrl, raw, { [SIGNATURE_HEADER]: signBody(SECRET, raw) })).toBe(200);
    expect(p.statuses()).toEqual([expect.objectContaining({ status: 'READ' })]);
  });

  test('statuses of messages we did not send (no metadata of ours) are acknowledged and counted, not published', async () => {
    const p = await start();
    const raw = JSON.stringify(platform.statusWebhook({ platformMessageId: 'wamid.E', status: 'read', at: new Date(), send: { recipient: 'x', kind: 'text' } }));
    expect(await postWebhook(p.webhookUrl, raw, { [SIGNATURE_HEADER]: signBody(SECRET, raw) })).toBe(200);
    expect(await counterValue(p.registry, 'webhook_unmatched_total')).toBe(1);
    expect(p.statuses()).toEqual([]);
  });

  test('a status whose echoed metadata holds ids no event could carry is not ours: the others of the body are published', async () => {
    const p = await start();
    const good = ctx();
    const forged: SendContext = { messageId: 'not-a-uuidv7', conversationId: 'conv-1', metadata: JSON.stringify({ m: 'not-a-uuidv7', c: 'conv-1', p: 'text' }) };
    type Body = { entry: { changes: { value: { statuses: unknown[] } }[] }[] };
    const body = JSON.parse(statusBody('wamid.F', 'read', good)) as Body;
    const other = JSON.parse(statusBody('wamid.G', 'read', forged)) as Body;
    body.entry[0]!.changes[0]!.value.statuses.push(...other.entry[0]!.changes[0]!.value.statuses);
    const raw = JSON.stringify(body);
    expect(await postWebhook(p.webhookUrl, raw, { [SIGNATURE_HEADER]: signBody(SECRET, raw) })).toBe(200);
    expect(await counterValue(p.registry, 'webhook_unmatched_total')).toBe(1);
    expect(p.statuses()).toEqual([expect.objectContaining({ messageId: good.messageId, status: 'READ' })]);
  });

  test('a request target that is no URL path is answered 400, and the connector keeps serving', async () => {
    const p = await start();
    expect(await rawRequest(p.webhookUrl, 'POST //[ HTTP/1.1\r\nHost: x\r\nContent-Length: 0')).toBe(400);
    expect(await postWebhook(p.webhookUrl, '{}')).toBe(401);
  });

  test('the GET subscription handshake echoes the challenge for our verify token only', async () => {
    const p = await start();
    const get = (token: string) => fetch(`${p.webhookUrl}?hub.mode=subscribe&hub.verify_token=${token}&hub.challenge=8421`);
    const ok = await get('verify-me');
    expect([ok.status, await ok.text()]).toEqual([200, '8421']);
    expect((await get('guess')).status).toBe(403);
  });
});
