import { EVENT_VERSION, MessageAccepted, PoisonEventError, TOPICS, createLogger, encodeEvent, type BusRecord } from '@chat4all/common';
import { activityHandler } from '../src/events/activity';
import type { ConversationTouch } from '../src/store/port';

const log = createLogger('activity-test', 'error');

function accepted(conversationId: string, createdAt: string, offset: number): BusRecord {
  const value = encodeEvent(MessageAccepted, {
    version: EVENT_VERSION,
    messageId: `0190f3d0-0000-7000-8000-${String(offset).padStart(12, '0')}`,
    conversationId,
    senderId: '6f1c1a52-2d0c-4c8e-9d7e-1b3f3d1f0a11',
    content: 'hi',
    createdAt,
  });
  return { topic: TOPICS.messagesAccepted, partition: 0, offset: String(offset), key: conversationId, value: Buffer.from(value), headers: {} };
}

describe('activityHandler', () => {
  it('applies the records handled at the same time in one statement, each resolving once it is applied', async () => {
    const statements: ConversationTouch[][] = [];
    let apply!: () => void;
    const applied = new Promise<void>((resolve) => (apply = resolve));
    const handler = activityHandler(
      {
        touchConversations: async (touches) => {
          statements.push([...touches]);
          await applied;
          return touches.length;
        },
      },
      log,
    );
    let resolved = 0;
    const handled = [
      accepted('c1', '2026-12-06T10:00:00.000Z', 1),
      accepted('c2', '2026-12-06T10:00:01.000Z', 2),
      accepted('c1', '2026-12-06T10:00:02.000Z', 3),
    ].map((record) => handler(record).then(() => void resolved++));
    await new Promise((resolve) => setImmediate(resolve));
    expect(statements).toEqual([
      [
        { conversationId: 'c1', at: new Date('2026-12-06T10:00:00.000Z') },
        { conversationId: 'c2', at: new Date('2026-12-06T10:00:01.000Z') },
        { conversationId: 'c1', at: new Date('2026-12-06T10:00:02.000Z') },
      ],
    ]);
    expect(resolved).toBe(0); // nothing is handled (committable) before the statement is applied
    apply();
    await Promise.all(handled);
    expect(resolved).toBe(3);

    // A record handled later goes in a statement of its own.
    await handler(accepted('c3', '2026-12-06T10:00:03.000Z', 4));
    expect(statements).toHaveLength(2);
  });

  it('fails every record of a statement that fails, so the bus retries each', async () => {
    const handler = activityHandler({ touchConversations: async () => Promise.reject(new Error('database unavailable')) }, log);
    const outcomes = await Promise.allSettled([handler(accepted('c1', '2026-12-06T10:00:00.000Z', 1)), handler(accepted('c2', '2026-12-06T10:00:00.000Z', 2))]);
    expect(outcomes.map((o) => (o.status === 'rejected' ? (o.reason as Error).message : 'ok'))).toEqual(['database unavailable', 'database unavailable']);
  });

  it('calls an undecodable record poison without touching anything', async () => {
    const touchConversations = jest.fn(async () => 0);
    const handler = activityHandler({ touchConversations }, log);
    const record = { ...accepted('c1', '2026-12-06T10:00:00.000Z', 1), value: Buffer.from('not json') };
    await expect(handler(record)).rejects.toBeInstanceOf(PoisonEventError);
    expect(touchConversations).not.toHaveBeenCalled();
  });
});
