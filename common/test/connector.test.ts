import pino from 'pino';
import { Registry } from 'prom-client';
import { EVENT_VERSION, MessageOutbound, MessageStatusChanged, decodeEvent, encodeEvent, type Channel } from '../src/contracts/events';
import { TOPICS, deadLetterTopic } from '../src/contracts/topics';
import type { BusRecord } from '../src/bus/port';
import { newUuidV7 } from '../src/ids';
import {
  CircuitBreaker,
  CircuitOpenError,
  ConnectorMetrics,
  OutboundSender,
  PlatformError,
  ReplayGuard,
  checkSignature,
  decodeRefMetadata,
  encodeRefMetadata,
  isRetriableStatus,
  isoFromUnix,
  signBody,
  subscriptionChallenge,
  type ChannelConnector,
  type CircuitState,
  type FileLinks,
  type MessageRef,
  type OutboundFile,
  type PlatformMessageRefs,
  type SendContext,
} from '../src/connector';
import { RetryLaterError, WorkerMetrics, type HandlerContext } from '../src/worker';
import { DEAD_LETTER_HEADERS } from '../src/bus/dead-letter';
import { RecordingBus } from './support/recording-bus';

const silent = pino({ level: 'silent' });

describe('webhook signature (X-Hub-Signature-256)', () => {
  const secret = 'app-secret';
  const body = Buffer.from('{"object":"whatsapp_business_account","entry":[]}');

  test('is sha256=<hex> of HMAC-SHA256 over the raw body and verifies', () => {
    const header = signBody(secret, body);
    expect(header).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(checkSignature(secret, body, header)).toBe('valid');
    // Upper-case hex is the same signature.
    expect(checkSignature(secret, body, `sha256=${header.slice(7).toUpperCase()}`)).toBe('valid');
  });

  test('a missing or empty header is unsigned', () => {
    expect(checkSignature(secret, body, undefined)).toBe('unsigned');
    expect(checkSignature(secret, body, '')).toBe('unsigned');
  });

  test('another secret, one changed byte, a wrong prefix, bad hex, a short digest or two headers are forged', () => {
    const header = signBody(secret, body);
    expect(checkSignature('other-secret', body, header)).toBe('forged');
    const changed = Buffer.from(body);
    changed[changed.length - 2] = 0x20;
    expect(checkSignature(secret, changed, header)).toBe('forged');
    expect(checkSignature(secret, body, header.replace('sha256=', 'sha1='))).toBe('forged');
    expect(checkSignature(secret, body, `sha256=${'z'.repeat(64)}`)).toBe('forged');
    expect(checkSignature(secret, body, header.slice(0, -2))).toBe('forged');
    expect(checkSignature(secret, body, [header, header])).toBe('forged');
  });

  test('a re-serialised body does not verify: the raw bytes are what is signed', () => {
    const pretty = Buffer.from(JSON.stringify(JSON.parse(body.toString()), null, 2));
    expect(checkSignature(secret, pretty, signBody(secret, body))).toBe('forged');
  });
});

describe('circuit breaker', () => {
  function setup(threshold = 3, cooldownMs = 1000) {
    let now = 0;
    const transitions: string[] = [];
    const breaker = new CircuitBreaker('TEST', {
      failureThreshold: threshold,
      cooldownMs,
      now: () => now,
      onStateChange: (state: CircuitState, previous: CircuitState) => transitions.push(`${previous}->${state}`),
    });
    let calls = 0;
    const ok = () => breaker.run(async () => ++calls, () => 'failure');
    const fail = (verdict: 'failure' | 'success' = 'failure') =>
      breaker.run(
        async () => {
          calls += 1;
          throw new Error('platform down');
        },
        () => verdict,
      );
    return { breaker, transitions, ok, fail, advance: (ms: number) => (now += ms), calls: () => calls };
  }

  test('opens after N consecutive failures; a success in between resets the count', async () => {
    const { breaker, fail, ok, transitions } = setup(3);
    await expect(fail()).rejects.toThrow('platform down');
    await expect(fail()).rejects.toThrow('platform down');
    await ok();
    await expect(fail()).rejects.toThrow('platform down');
    await expect(fail()).rejects.toThrow('platform down');
    expect(breaker.state).toBe('closed');
    await expect(fail()).rejects.toThrow('platform down');
    expect(breaker.state).toBe('open');
    expect(transitions).toEqual(['closed->open']);
  });

  test('errors judged harmless to the platform (permanent 4xx) never open it', async () => {
    const { breaker, fail } = setup(2);
    for (let i = 0; i < 5; i++) await expect(fail('success')).rejects.toThrow('platform down');
    expect(breaker.state).toBe('closed');
  });

  test('while open it refuses without calling, saying when to come back', async () => {
    const { breaker, fail, ok, advance, calls } = setup(1, 1000);
    await expect(fail()).rejects.toThrow('platform down');
    const before = calls();
    advance(400);
    const refused = ok();
    await expect(refused).rejects.toBeInstanceOf(CircuitOpenError);
    await expect(refused).rejects.toMatchObject({ retryInMs: 600 });
    expect(calls()).toBe(before);
    expect(breaker.state).toBe('open');
  });

  test('after the cool-down exactly one probe passes; its success closes the circuit', async () => {
    const { breaker, fail, advance, transitions } = setup(1, 1000);
    await expect(fail()).rejects.toThrow();
    advance(1000);
    expect(breaker.state).toBe('half-open');
    let release: () => void = () => undefined;
    const probe = breaker.run(() => new Promise<string>((resolve) => (release = () => resolve('probed'))), () => 'failure');
    // A second call while the probe runs is refused, not let through.
    await expect(breaker.run(async () => 'second', () => 'failure')).rejects.toBeInstanceOf(CircuitOpenError);
    release();
    await expect(probe).resolves.toBe('probed');
    expect(breaker.state).toBe('closed');
    expect(transitions).toEqual(['closed->open', 'open->half-open', 'half-open->closed']);
  });

  test('a failed probe opens it again for a full cool-down', async () => {
    const { breaker, fail, ok, advance, transitions } = setup(1, 1000);
    await expect(fail()).rejects.toThrow();
    advance(1000);
    await expect(fail()).rejects.toThrow('platform down');
    expect(breaker.state).toBe('open');
    advance(999);
    await expect(ok()).rejects.toBeInstanceOf(CircuitOpenError);
    advance(1);
    await expect(ok()).resolves.toBeGreaterThan(0);
    expect(transitions).toEqual(['closed->open', 'open->half-open', 'half-open->open', 'open->half-open', 'half-open->closed']);
  });
});

describe('replay guard', () => {
  function setup(windowMs = 60_000, maxEntries = 100) {
    let now = Date.parse('2026-11-26T12:00:00Z');
    const guard = new ReplayGuard({ windowMs, maxEntries, now: () => now });
    return { guard, at: (offsetMs = 0) => new Date(now + offsetMs), advance: (ms: number) => (now += ms) };
  }

  test('an event id is new once, in flight until handled, then replayed', () => {
    const { guard, at } = setup();
    expect(guard.reserve('wamid.1:read', at())).toBe('new');
    expect(guard.reserve('wamid.1:read', at())).toBe('in_flight');
    guard.confirm('wamid.1:read');
    expect(guard.reserve('wamid.1:read', at())).toBe('replayed');
    expect(guard.reserve('wamid.1:delivered', at())).toBe('new');
  });

  test('events stamped outside the window, past or future, are stale', () => {
    const { guard, at } = setup(60_000);
    expect(guard.reserve('old', at(-60_001))).toBe('stale');
    expect(guard.reserve('future', at(60_001))).toBe('stale');
    expect(guard.reserve('edge', at(-60_000))).toBe('new');
    expect(guard.reserve('nan', new Date(Number.NaN))).toBe('stale');
  });

  test('a released id (processing failed) may be delivered again', () => {
    const { guard, at } = setup();
    expect(guard.reserve('e1', at())).toBe('new');
    guard.release('e1');
    expect(guard.reserve('e1', at())).toBe('new');
  });

  test('ids are forgotten once the window has passed, and the set is bounded by count', () => {
    const { guard, at, advance } = setup(1000, 3);
    guard.reserve('a', at());
    advance(2001);
    guard.reserve('b', at());
    expect(guard.size).toBe(1); // `a` expired
    guard.reserve('c', at());
    guard.reserve('d', at());
    guard.reserve('e', at());
    expect(guard.size).toBe(3);
    expect(guard.reserve('e', at())).toBe('in_flight');
  });
});

describe('platform helpers', () => {
  test('metadata names message, conversation and part, and round-trips; foreign metadata is not ours', () => {
    const ref = { messageId: newUuidV7(), conversationId: 'c'.repeat(200) };
    const text = encodeRefMetadata(ref, 'file');
    expect(text.length).toBeLessThanOrEqual(512); // WhatsApp's biz_opaque_callback_data limit, with the longest ids
    expect(decodeRefMetadata(text)).toEqual(ref);
    expect(encodeRefMetadata(ref, 'file')).not.toBe(encodeRefMetadata(ref, 'text'));
    expect(decodeRefMetadata('campaign-42')).toBeUndefined();
    expect(decodeRefMetadata('{"m":"x"}')).toBeUndefined();
    // Well-formed JSON, but ids no status event could carry.
    expect(decodeRefMetadata(JSON.stringify({ m: 'not-a-uuidv7', c: 'conv-1' }))).toBeUndefined();
    expect(decodeRefMetadata(JSON.stringify({ m: newUuidV7(), c: 'c'.repeat(201) }))).toBeUndefined();
    expect(decodeRefMetadata(undefined)).toBeUndefined();
  });

  test('which HTTP statuses are worth retrying', () => {
    expect([500, 502, 503, 429, 408, 401, 403].every(isRetriableStatus)).toBe(true);
    expect([400, 404, 413, 422].some(isRetriableStatus)).toBe(false);
  });

  test('the subscription handshake answers the challenge only for our verify token', () => {
    const q = (token: string, mode = 'subscribe') => new URLSearchParams({ 'hub.mode': mode, 'hub.verify_token': token, 'hub.challenge': '1158201444' });
    expect(subscriptionChallenge(q('secret-token'), 'secret-token')).toBe('1158201444');
    expect(subscriptionChallenge(q('wrong'), 'secret-token')).toBeNull();
    expect(subscriptionChallenge(q('secret-token', 'unsubscribe'), 'secret-token')).toBeNull();
    expect(subscriptionChallenge(q('secret-token'), undefined)).toBeNull();
  });

  test('platform timestamps become ISO time', () => {
    expect(isoFromUnix('1764158400', 's')).toBe('2025-11-26T12:00:00.000Z');
    expect(isoFromUnix(1764158400123, 'ms')).toBe('2025-11-26T12:00:00.123Z');
    expect(isoFromUnix('soon', 's')).toBeNull();
    expect(isoFromUnix(-1, 'ms')).toBeNull();
  });
});

/** A platform scripted by the test: each call takes the next outcome (an id or an error). */
class ScriptedConnector implements ChannelConnector {
  readonly channel: Channel = 'WHATSAPP';
  readonly calls: { kind: 'text' | 'file'; to: string; text?: string; file?: OutboundFile; ctx: SendContext }[] = [];
  constructor(
    private readonly outcomes: (string | Error)[],
    readonly echoesMetadata = true,
    readonly fileCaptions = true,
  ) {}
  private next(): Promise<string> {
    const outcome = this.outcomes.shift() ?? new Error('no outcome scripted');
    return outcome instanceof Error ? Promise.reject(outcome) : Promise.resolve(outcome);
  }
  sendText(to: string, text: string, ctx: SendContext) {
    this.calls.push({ kind: 'text', to, text, ctx });
    return this.next();
  }
  sendFile(to: string, file: OutboundFile, ctx: SendContext) {
    this.calls.push({ kind: 'file', to, file, ctx });
    return this.next();
  }
  parseWebhook(): never {
    throw new Error('not used');
  }
}

class MapRefs implements PlatformMessageRefs {
  readonly rows = new Map<string, MessageRef>();
  async save(channel: Channel, id: string, ref: MessageRef) {
    this.rows.set(`${channel}/${id}`, ref);
  }
  async find(channel: Channel, id: string) {
    return this.rows.get(`${channel}/${id}`) ?? null;
  }
  async close() {}
}

describe('outbound sender', () => {
  const GROUP = 'connector-whatsapp';
  const files: FileLinks = {
    link: async (fileId) => (fileId === 'missing' ? null : { url: `https://files.example/${fileId}?sig=1`, filename: 'report.pdf', contentType: 'application/pdf' }),
  };

  function outbound(message: Partial<MessageOutbound['message']> = {}): MessageOutbound {
    return {
      version: EVENT_VERSION,
      channel: 'WHATSAPP',
      message: { messageId: newUuidV7(), conversationId: 'conv-9', senderId: 'u1', content: 'hello', createdAt: new Date().toISOString(), ...message },
    };
  }

  function setup(connector: ScriptedConnector, opts: { threshold?: number; refs?: PlatformMessageRefs; files?: FileLinks } = {}) {
    const bus = new RecordingBus();
    const registry = new Registry();
    const workerMetrics = new WorkerMetrics(registry);
    const breaker = new CircuitBreaker('WHATSAPP', { failureThreshold: opts.threshold ?? 3, cooldownMs: 60_000 });
    const sender = new OutboundSender({
      connector,
      breaker,
      ...(opts.refs ? { refs: opts.refs } : {}),
      files: opts.files ?? files,
      bus,
      groupId: GROUP,
      source: 'connector-whatsapp',
      metrics: new ConnectorMetrics(registry),
      workerMetrics,
      log: silent,
    });
    const run = (event: MessageOutbound, attempt = 1) => {
      const record: BusRecord = { topic: 'messages.outbound.whatsapp', partition: 0, offset: '7', key: event.message.conversationId, value: encodeEvent(MessageOutbound, event), headers: {} };
      const context: HandlerContext = { record, attempt, log: silent, stopping: new AbortController().signal };
      return { handle: () => sender.handle(event, context), giveUp: (error: unknown) => sender.giveUp(event, error, context) };
    };
    const statuses = () => bus.on(TOPICS.messagesStatus).map((r) => ({ key: r.key, event: decodeEvent(MessageStatusChanged, r.value as Buffer) }));
    return { bus, breaker, run, statuses, workerMetrics };
  }

  test('a text goes to the conversation with metadata naming the message', async () => {
    const connector = new ScriptedConnector(['wamid.1']);
    const { run, bus } = setup(connector);
    const event = outbound();
    await run(event).handle();
    expect(connector.calls).toHaveLength(1);
    expect(connector.calls[0]).toMatchObject({ kind: 'text', to: 'conv-9', text: 'hello' });
    expect(decodeRefMetadata(connector.calls[0]!.ctx.metadata)).toEqual({ messageId: event.message.messageId, conversationId: 'conv-9' });
    expect(bus.published).toEqual([]); // success publishes nothing: statuses come from webhooks
  });

  test('a file is sent by its link with the content as caption, or as file then text when captions are unsupported', async () => {
    const withCaptions = new ScriptedConnector(['wamid.f']);
    await setup(withCaptions).run(outbound({ fileId: 'f1', content: 'see attached' })).handle();
    expect(withCaptions.calls.map((c) => c.kind)).toEqual(['file']);
    expect(withCaptions.calls[0]!.file).toEqual({ url: 'https://files.example/f1?sig=1', filename: 'report.pdf', contentType: 'application/pdf', caption: 'see attached' });

    const refs = new MapRefs();
    const noCaptions = new ScriptedConnector(['mid.file', 'mid.text'], false, false);
    const event = outbound({ fileId: 'f1', content: 'see attached' });
    await setup(noCaptions, { refs }).run(event).handle();
    expect(noCaptions.calls.map((c) => c.kind)).toEqual(['file', 'text']);
    expect(noCaptions.calls[0]!.file?.caption).toBeUndefined();
    // Each platform request has its own metadata (its idempotency key), and both ids lead back to the message.
    expect(noCaptions.calls[0]!.ctx.metadata).not.toBe(noCaptions.calls[1]!.ctx.metadata);
    const ref = { messageId: event.message.messageId, conversationId: 'conv-9' };
    expect(await refs.find('WHATSAPP', 'mid.file')).toEqual(ref);
    expect(await refs.find('WHATSAPP', 'mid.text')).toEqual(ref);
  });

  test('a retriable failure is thrown for the worker runtime to retry; the circuit stays closed below the threshold', async () => {
    const connector = new ScriptedConnector([new PlatformError('HTTP 503: down', true, 503)]);
    const { run, breaker, bus } = setup(connector, { threshold: 3 });
    await expect(run(outbound()).handle()).rejects.toBeInstanceOf(PlatformError);
    expect(breaker.state).toBe('closed');
    expect(bus.published).toEqual([]);
  });

  test('the failure that opens the circuit, and every call while it is open, make the message wait (RetryLaterError)', async () => {
    const connector = new ScriptedConnector([new PlatformError('HTTP 500', true, 500), new PlatformError('HTTP 500', true, 500)]);
    const { run, breaker } = setup(connector, { threshold: 2 });
    const event = outbound();
    await expect(run(event).handle()).rejects.toBeInstanceOf(PlatformError);
    await expect(run(event, 2).handle()).rejects.toBeInstanceOf(RetryLaterError);
    expect(breaker.state).toBe('open');
    await expect(run(event, 2).handle()).rejects.toBeInstanceOf(RetryLaterError);
    expect(connector.calls).toHaveLength(2); // the open circuit did not call the platform
  });

  test('our own services failing (refs store, files service) make the message wait: no attempt used, never FAILED', async () => {
    const refs = new MapRefs();
    const down = (what: string) => () => Promise.reject(new Error(`${what} unreachable`));
    const connector = new ScriptedConnector(['mid.1', 'mid.1'], false);
    const event = outbound();
    const flaky = setup(connector, { refs: { save: down('refs'), find: (c, id) => refs.find(c, id), close: async () => {} } });
    const waiting = flaky.run(event).handle();
    await expect(waiting).rejects.toBeInstanceOf(RetryLaterError);
    await expect(waiting).rejects.toThrow('saving the platform message id failed (refs unreachable); the message waits');
    await setup(connector, { refs }).run(event, 2).handle(); // the store is back: the same send again, its id saved
    expect(await refs.find('WHATSAPP', 'mid.1')).toEqual({ messageId: event.message.messageId, conversationId: 'conv-9' });

    const noLinks = setup(new ScriptedConnector([]), { files: { link: down('files') } });
    await expect(noLinks.run(outbound({ fileId: 'f1' })).handle()).rejects.toBeInstanceOf(RetryLaterError);
    expect(flaky.statuses()).toEqual([]);
    expect(noLinks.statuses()).toEqual([]);
  });

  test('a permanent refusal fails the message at once: FAILED with the reason, then dead-lettered', async () => {
    const connector = new ScriptedConnector([new PlatformError('HTTP 400: Invalid parameter (code 100: to is required)', false, 400)]);
    const { run, bus, statuses, workerMetrics } = setup(connector);
    const event = outbound();
    await run(event).handle();
    const [failed] = statuses();
    expect(failed?.key).toBe('conv-9');
    expect(failed?.event).toMatchObject({ messageId: event.message.messageId, status: 'FAILED', channel: 'WHATSAPP', source: 'connector-whatsapp' });
    expect(failed?.event.reason).toMatch(/refused.*to is required/);
    const [dead] = bus.on(deadLetterTopic(GROUP));
    expect(dead?.headers?.[DEAD_LETTER_HEADERS.reason]).toMatch(/to is required/);
    expect(decodeEvent(MessageOutbound, dead!.value as Buffer)).toEqual(event);
    expect((await workerMetrics.deadLettered.get()).values[0]?.value).toBe(1);
  });

  test('a file that does not exist fails the message without calling the platform', async () => {
    const connector = new ScriptedConnector([]);
    const { run, statuses } = setup(connector);
    await run(outbound({ fileId: 'missing' })).handle();
    expect(connector.calls).toEqual([]);
    expect(statuses()[0]?.event.reason).toMatch(/file missing does not exist/);
  });

  test('giving up (after the last attempt) publishes FAILED with the last error', async () => {
    const { run, statuses } = setup(new ScriptedConnector([]));
    const event = outbound();
    await run(event, 4).giveUp(new PlatformError('HTTP 503: Service temporarily unavailable', true, 503));
    expect(statuses()).toEqual([
      { key: 'conv-9', event: expect.objectContaining({ status: 'FAILED', reason: 'not sent, every attempt failed; last error: HTTP 503: Service temporarily unavailable' }) },
    ]);
  });

  test('an event for another channel is poison; a connector without echoes needs a refs store', async () => {
    const { run } = setup(new ScriptedConnector(['x']));
    await expect(run({ ...outbound(), channel: 'INSTAGRAM' }).handle()).rejects.toThrow(/INSTAGRAM on the WHATSAPP/);
    expect(() => setup(new ScriptedConnector([], false))).toThrow(/PlatformMessageRefs/);
  });
});
