import {
  CHANNELS,
  InvalidEventError,
  MESSAGE_STATUSES,
  MessageAccepted,
  MessageOutbound,
  MessageStatusChanged,
  PoisonEventError,
  canAdvanceStatus,
  decodeEvent,
  encodeEvent,
  isFinalStatus,
  statusRank,
} from '../src/contracts/events';
import { CONSUMER_GROUPS, PLATFORM_TOPICS, deadLetterTopic, outboundTopic } from '../src/contracts/topics';

const messageId = '0190f5c4-7a2b-7c3d-8e4f-0123456789ab';
const accepted: MessageAccepted = {
  version: 1,
  messageId,
  conversationId: 'conv-1',
  senderId: 'user-1',
  clientMessageId: 'client-1',
  content: 'hello',
  createdAt: '2026-11-26T10:00:00.000Z',
};

describe('event schemas', () => {
  test('a valid MessageAccepted survives encode and decode unchanged', () => {
    const bytes = encodeEvent(MessageAccepted, accepted);
    expect(Buffer.isBuffer(bytes)).toBe(true);
    expect(decodeEvent(MessageAccepted, bytes)).toEqual(accepted);
    expect(decodeEvent(MessageAccepted, bytes.toString('utf8'))).toEqual(accepted);
  });

  test('a file-only message is valid; a message with neither content nor file is not', () => {
    const { content: _content, ...withoutContent } = accepted;
    expect(MessageAccepted.safeParse({ ...withoutContent, fileId: 'file-1' }).success).toBe(true);
    const result = MessageAccepted.safeParse(withoutContent);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/content, a file, or both/);
  });

  test('MessageOutbound carries the message and a channel', () => {
    const { version: _v, ...message } = accepted;
    const outbound: MessageOutbound = { version: 1, message, channel: 'WHATSAPP' };
    expect(decodeEvent(MessageOutbound, encodeEvent(MessageOutbound, outbound))).toEqual(outbound);
    expect(() => encodeEvent(MessageOutbound, { ...outbound, channel: 'TELEGRAM' as never })).toThrow(InvalidEventError);
  });

  test('MessageStatusChanged accepts each status and rejects unknown ones', () => {
    for (const status of MESSAGE_STATUSES) {
      const event: MessageStatusChanged = { version: 1, messageId, conversationId: 'conv-1', status, at: '2026-11-26T10:00:01.000Z', source: 'router' };
      expect(decodeEvent(MessageStatusChanged, encodeEvent(MessageStatusChanged, event))).toEqual(event);
    }
    const failed = { version: 1, messageId, conversationId: 'c', status: 'FAILED', at: '2026-11-26T10:00:01.000Z', reason: 'blocked', channel: 'INSTAGRAM', source: 'connector-instagram' };
    expect(decodeEvent(MessageStatusChanged, JSON.stringify(failed))).toEqual(failed);
    expect(() => decodeEvent(MessageStatusChanged, JSON.stringify({ ...failed, status: 'SEEN' }))).toThrow(PoisonEventError);
  });

  test.each([
    ['an id that is not time-ordered (UUIDv4)', { messageId: '0190f5c4-7a2b-4c3d-8e4f-0123456789ab' }, /messageId/],
    ['an upper-case id', { messageId: messageId.toUpperCase() }, /messageId/],
    ['a date without time zone', { createdAt: '2026-11-26T10:00:00' }, /createdAt/],
    ['a missing sender', { senderId: undefined }, /senderId/],
    ['an empty conversation id', { conversationId: '' }, /conversationId/],
    ['another version', { version: 2 }, /version/],
  ])('encodeEvent refuses %s', (_label, change, path) => {
    expect(() => encodeEvent(MessageAccepted, { ...accepted, ...change } as MessageAccepted)).toThrow(InvalidEventError);
    expect(() => encodeEvent(MessageAccepted, { ...accepted, ...change } as MessageAccepted)).toThrow(path);
  });

  test('unknown fields from a newer writer are dropped, not rejected', () => {
    const decoded = decodeEvent(MessageAccepted, JSON.stringify({ ...accepted, priority: 'high' }));
    expect(decoded).toEqual(accepted);
  });
});

describe('poison records', () => {
  test.each([
    ['bytes that are not JSON', Buffer.from([0xff, 0x00, 0x7b]), /not JSON/],
    ['JSON of the wrong shape', Buffer.from('{"hello":"world"}'), /messageId/],
    ['a JSON array', Buffer.from('[1,2]'), /expected object/],
    ['an event of an unknown version', Buffer.from(JSON.stringify({ ...accepted, version: 99 })), /version/],
    ['an empty value', Buffer.alloc(0), /not JSON/],
  ])('%s become a PoisonEventError carrying the raw bytes', (_label, raw, reason) => {
    let caught: unknown;
    try {
      decodeEvent(MessageAccepted, raw);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PoisonEventError);
    const poison = caught as PoisonEventError;
    expect(poison.raw.equals(raw)).toBe(true);
    expect(poison.reason).toMatch(reason);
  });
});

describe('status order', () => {
  test('SENT < DELIVERED < READ, FAILED last', () => {
    expect([...MESSAGE_STATUSES].sort((a, b) => statusRank(a) - statusRank(b))).toEqual(['SENT', 'DELIVERED', 'READ', 'FAILED']);
    expect(isFinalStatus('READ')).toBe(true);
    expect(isFinalStatus('FAILED')).toBe(true);
    expect(isFinalStatus('DELIVERED')).toBe(false);
  });

  test.each([
    [null, 'SENT', true],
    ['SENT', 'DELIVERED', true],
    ['SENT', 'READ', true],
    ['DELIVERED', 'SENT', false],
    ['DELIVERED', 'DELIVERED', false],
    ['READ', 'DELIVERED', false],
    ['DELIVERED', 'FAILED', true],
    ['READ', 'FAILED', false],
    ['FAILED', 'READ', false],
    ['FAILED', 'FAILED', false],
  ] as const)('%s -> %s advances: %s', (current, next, expected) => {
    expect(canAdvanceStatus(current, next)).toBe(expected);
  });
});

describe('topics', () => {
  test('each channel has its own outbound topic, and each consumer group a dead-letter topic', () => {
    expect(CHANNELS.map(outboundTopic)).toEqual(['messages.outbound.whatsapp', 'messages.outbound.instagram']);
    expect(deadLetterTopic('router')).toBe('dlq.router');
    expect([...PLATFORM_TOPICS].sort()).toEqual(
      [
        'messages.accepted',
        'messages.outbound.whatsapp',
        'messages.outbound.instagram',
        'messages.status',
        'conversations.members',
        ...Object.values(CONSUMER_GROUPS).map((g) => `dlq.${g}`),
      ].sort(),
    );
    expect(Object.values(CONSUMER_GROUPS).sort()).toEqual(['connector-instagram', 'connector-whatsapp', 'router', 'status-persister', 'users-activity']);
  });
});
