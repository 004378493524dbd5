import { MessageAccepted, decodeEvent, encodeEvent } from '@chat4all/common';
import { acceptedEvent, messageFromAccepted } from '../src/events/accepted';
import { messageIdTime, newMessageId } from '../src/store/ids';
import type { NewMessage } from '../src/store/types';

function message(extra: Partial<NewMessage> = {}): NewMessage {
  const id = newMessageId();
  return { id, conversationId: 'c0b1c4f2-8d7e-4a51-9a43-3f4c1f1b2a10', senderId: 'u-1', createdAt: new Date(messageIdTime(id)), ...extra };
}

describe('MessageAccepted for an accepted message', () => {
  it('round-trips through the event contract to the row the router stores', () => {
    for (const original of [
      message({ content: 'hi' }),
      message({ fileId: 'f-1', clientMessageId: 'client-1' }),
      message({ content: 'both', fileId: 'f-2', clientMessageId: 'client-2' }),
    ]) {
      const decoded = decodeEvent(MessageAccepted, encodeEvent(MessageAccepted, acceptedEvent(original)));
      expect(messageFromAccepted(decoded)).toEqual(original);
    }
  });

  it('leaves absent fields out, so producing the same message twice writes identical bytes', () => {
    const m = message({ content: 'same' });
    const event = acceptedEvent(m);
    expect(Object.keys(event).sort()).toEqual(['content', 'conversationId', 'createdAt', 'messageId', 'senderId', 'version']);
    expect(event.createdAt).toBe(m.createdAt.toISOString());
    expect(encodeEvent(MessageAccepted, acceptedEvent({ ...m })).equals(encodeEvent(MessageAccepted, event))).toBe(true);
  });

  it('is refused by the contract without content or file (never produced)', () => {
    expect(() => encodeEvent(MessageAccepted, acceptedEvent(message()))).toThrow(/content, a file, or both/);
  });
});
