import { randomUUID } from 'node:crypto';
import { bucketOfId } from './buckets';
import { messageIdTime, newMessageId } from './ids';
import { MAX_PAGE_SIZE } from './pagination';
import type { MessageStore } from './port';
import type { Message, NewMessage } from './types';

const DAY = 24 * 60 * 60 * 1000;

/**
 * The behaviour every MessageStore adapter must have. Each test uses fresh conversation, sender and message ids, so the
 * suite can run again on the same engine without cleaning up. `setup` is called once; the suite closes the store.
 */
export function describeMessageStoreContract(name: string, setup: () => Promise<MessageStore>): void {
  describe(`MessageStore contract: ${name}`, () => {
    let store: MessageStore;

    beforeAll(async () => {
      store = await setup();
    });

    afterAll(async () => {
      await store?.close();
    });

    const conversation = () => `conv-${randomUUID()}`;

    /** A message whose id (and createdAt) carry `atMs`, to the millisecond. */
    function message(conversationId: string, atMs: number = Date.now(), extra: Partial<NewMessage> = {}): NewMessage {
      const id = newMessageId(atMs);
      return { id, conversationId, senderId: `user-${randomUUID()}`, content: `hello at ${atMs}`, createdAt: new Date(messageIdTime(id)), ...extra };
    }

    async function insertAll(messages: NewMessage[]): Promise<void> {
      for (const m of messages) await store.insert(m);
    }

    async function allIds(conversationId: string, first: number): Promise<string[][]> {
      const pages: string[][] = [];
      let after: string | null = null;
      for (;;) {
        const page = await store.listByConversation(conversationId, { first, after });
        pages.push(page.items.map((m) => m.id));
        if (!page.hasNextPage) return pages;
        expect(page.endCursor).not.toBeNull();
        after = page.endCursor;
        if (pages.length > 100) throw new Error('pagination does not end');
      }
    }

    const newestFirst = (messages: NewMessage[]) => [...messages].sort((a, b) => (a.id < b.id ? 1 : -1)).map((m) => m.id);

    describe('insert and get', () => {
      it('stores every field and starts as SENT at createdAt', async () => {
        const m = message(conversation(), Date.now(), {
          fileId: `file-${randomUUID()}`,
          channel: 'WHATSAPP',
          clientMessageId: `client-${randomUUID()}`,
        });
        await store.insert(m);
        const stored = await store.get(m.id);
        expect(stored).toEqual<Message>({
          ...m,
          status: 'SENT',
          statusHistory: [{ status: 'SENT', at: m.createdAt }],
        });
      });

      it('reads a message by its id and conversation the same as by id alone; another conversation reads as null', async () => {
        const m = message(conversation());
        await store.insert(m);
        await store.recordStatus(m.id, m.conversationId, 'DELIVERED', new Date(m.createdAt.getTime() + 5));
        expect(await store.get(m.id, m.conversationId)).toEqual(await store.get(m.id));
        expect((await store.get(m.id, m.conversationId))?.status).toBe('DELIVERED');
        expect(await store.get(m.id, conversation())).toBeNull();
      });

      it('writes a second message of the same conversation and day as fully as the first (its bucket is known)', async () => {
        const conv = conversation();
        const base = Date.now();
        const first = message(conv, base);
        const second = message(conv, base + 1);
        await store.insert(first);
        await store.insert(second);
        expect((await store.listByConversation(conv)).items.map((m) => m.id)).toEqual([second.id, first.id]);
      });

      it('leaves optional fields absent rather than null', async () => {
        const m: NewMessage = { ...message(conversation()), content: undefined, fileId: `file-${randomUUID()}` };
        delete m.content;
        await store.insert(m);
        const stored = await store.get(m.id);
        expect(stored).not.toBeNull();
        expect(Object.keys(stored!).sort()).toEqual(['conversationId', 'createdAt', 'fileId', 'id', 'senderId', 'status', 'statusHistory']);
      });

      it('is idempotent: inserting twice keeps one message', async () => {
        const conv = conversation();
        const m = message(conv);
        await store.insert(m);
        await store.insert(m);
        const page = await store.listByConversation(conv, { first: 10 });
        expect(page.items.map((i) => i.id)).toEqual([m.id]);
        expect(page.hasNextPage).toBe(false);
      });

      it('a redelivered insert does not reset an advanced status', async () => {
        const m = message(conversation());
        await store.insert(m);
        await store.recordStatus(m.id, m.conversationId, 'DELIVERED', new Date(m.createdAt.getTime() + 5));
        await store.insert(m);
        expect((await store.get(m.id))?.status).toBe('DELIVERED');
      });

      it('records the channel whichever order the copies without and with a channel arrive in, and never clears it', async () => {
        // The subgraph stores its read-your-writes copy without a channel; the router stores the same message with one.
        const conv = conversation();
        const now = Date.now();
        const first = message(conv, now - 1000);
        await store.insert(first);
        await store.insert({ ...first, channel: 'INSTAGRAM' });
        expect((await store.get(first.id))?.channel).toBe('INSTAGRAM');
        await store.insert(first);
        expect((await store.get(first.id))?.channel).toBe('INSTAGRAM');

        const routedFirst = message(conv, now, { channel: 'WHATSAPP' });
        await store.insert(routedFirst);
        const { channel: _channel, ...withoutChannel } = routedFirst;
        await store.insert(withoutChannel);
        expect((await store.get(routedFirst.id))?.channel).toBe('WHATSAPP');
        const page = await store.listByConversation(conv, { first: 10 });
        expect(page.items.map((m) => [m.id, m.channel])).toEqual([
          [routedFirst.id, 'WHATSAPP'],
          [first.id, 'INSTAGRAM'],
        ]);
      });

      it('get returns null for an unknown id and for a string that is no message id', async () => {
        expect(await store.get(newMessageId())).toBeNull();
        expect(await store.get('not-an-id')).toBeNull();
        expect(await store.get(newMessageId(), newMessageId())).toBeNull();
      });

      it('rejects an insert whose id is not a message id', async () => {
        await expect(store.insert({ ...message(conversation()), id: randomUUID() })).rejects.toThrow(/message id/);
      });

      it('getMany answers in request order, with null for missing ids and repeats answered again', async () => {
        const conv = conversation();
        const a = message(conv);
        const b = message(conv);
        await insertAll([a, b]);
        const missing = newMessageId();
        const got = await store.getMany([b.id, missing, a.id, b.id]);
        expect(got.map((m) => m?.id ?? null)).toEqual([b.id, null, a.id, b.id]);
        expect(got[0]?.content).toBe(b.content);
        expect(await store.getMany([])).toEqual([]);
      });
    });

    describe('history pagination', () => {
      it('pages newest first within one day', async () => {
        const conv = conversation();
        const base = Date.now() - 60_000;
        const messages = [0, 1, 2, 3, 4].map((i) => message(conv, base + i * 1000));
        await insertAll(messages);
        const expected = newestFirst(messages);
        expect(await allIds(conv, 2)).toEqual([expected.slice(0, 2), expected.slice(2, 4), expected.slice(4)]);
      });

      it('pages across day buckets, skipping empty days, with exact hasNextPage at a bucket edge', async () => {
        const conv = conversation();
        const now = Date.now();
        const messages = [
          message(conv, now - 400 * DAY),
          message(conv, now - 40 * DAY),
          message(conv, now - 3 * DAY),
          message(conv, now - 3 * DAY + 1000),
          message(conv, now - DAY),
          message(conv, now),
        ];
        expect(new Set(messages.map((m) => bucketOfId(m.id))).size).toBeGreaterThanOrEqual(5);
        await insertAll([...messages].reverse()); // insertion order must not matter
        const expected = newestFirst(messages);

        expect(await allIds(conv, 2)).toEqual([expected.slice(0, 2), expected.slice(2, 4), expected.slice(4)]);
        expect(await allIds(conv, 4)).toEqual([expected.slice(0, 4), expected.slice(4)]);
        expect(await allIds(conv, 5)).toEqual([expected.slice(0, 5), expected.slice(5)]);

        const whole = await store.listByConversation(conv, { first: 6 });
        expect(whole.items.map((m) => m.id)).toEqual(expected);
        expect(whole.hasNextPage).toBe(false);
        expect(whole.items[5]?.content).toBe(messages[0]?.content);
      });

      it("the newest page is the newest day's, whether that is today, a later day (a clock ahead) or an earlier one", async () => {
        const now = Date.now();
        const ahead = conversation();
        const aheadMessages = [message(ahead, now - DAY), message(ahead, now), message(ahead, now + 1000), message(ahead, now + DAY)];
        const quiet = conversation();
        const quietMessages = [message(quiet, now - 3 * DAY), message(quiet, now - 2 * DAY), message(quiet, now - 2 * DAY + 1000)];
        await insertAll([...aheadMessages, ...quietMessages]);
        const aheadFirst = await store.listByConversation(ahead, { first: 2 });
        expect(aheadFirst.items.map((m) => m.id)).toEqual(newestFirst(aheadMessages).slice(0, 2));
        expect(await allIds(ahead, 3)).toEqual([newestFirst(aheadMessages).slice(0, 3), newestFirst(aheadMessages).slice(3)]);
        expect(await allIds(quiet, 2)).toEqual([newestFirst(quietMessages).slice(0, 2), newestFirst(quietMessages).slice(2)]);
      });

      it('pages across more days than one bucket query returns', async () => {
        const conv = conversation();
        const now = Date.now();
        const messages = Array.from({ length: 40 }, (_, i) => message(conv, now - i * DAY));
        await insertAll(messages);
        const expected = newestFirst(messages);
        const pages = await allIds(conv, 15);
        expect(pages).toEqual([expected.slice(0, 15), expected.slice(15, 30), expected.slice(30)]);
      });

      it('keeps the next page stable while new messages arrive', async () => {
        const conv = conversation();
        const base = Date.now() - 2 * DAY;
        const old = [0, 1, 2, 3].map((i) => message(conv, base + i * 1000));
        await insertAll(old);
        const expected = newestFirst(old);
        const firstPage = await store.listByConversation(conv, { first: 2 });
        expect(firstPage.items.map((m) => m.id)).toEqual(expected.slice(0, 2));

        const fresh = [message(conv, Date.now()), message(conv, Date.now() + 1)];
        await insertAll(fresh);
        const secondPage = await store.listByConversation(conv, { first: 2, after: firstPage.endCursor });
        expect(secondPage.items.map((m) => m.id)).toEqual(expected.slice(2, 4));
        expect(secondPage.hasNextPage).toBe(false);

        const restart = await store.listByConversation(conv, { first: 2 });
        expect(restart.items.map((m) => m.id)).toEqual(newestFirst(fresh));
      });

      it('returns an empty page for a conversation without messages', async () => {
        expect(await store.listByConversation(conversation(), { first: 5 })).toEqual({ items: [], endCursor: null, hasNextPage: false });
      });

      it('does not mix conversations', async () => {
        const a = conversation();
        const b = conversation();
        const ma = message(a);
        const mb = message(b);
        await insertAll([ma, mb]);
        expect((await store.listByConversation(a)).items.map((m) => m.id)).toEqual([ma.id]);
        expect((await store.listByConversation(b)).items.map((m) => m.id)).toEqual([mb.id]);
      });

      it('shows each message with its current status', async () => {
        const conv = conversation();
        const base = Date.now() - DAY;
        const a = message(conv, base);
        const b = message(conv, Date.now());
        await insertAll([a, b]);
        await store.recordStatus(a.id, conv, 'READ', new Date(base + 10));
        const page = await store.listByConversation(conv, { first: 10 });
        expect(page.items.map((m) => [m.id, m.status])).toEqual([
          [b.id, 'SENT'],
          [a.id, 'READ'],
        ]);
        expect(page.items[1]?.statusHistory).toEqual([
          { status: 'SENT', at: a.createdAt },
          { status: 'READ', at: new Date(base + 10) },
        ]);
      });

      it("shows the newest page's statuses whether or not the day's newest status rows hold all of its messages'", async () => {
        const now = Date.now();
        const lifecycle = async (conv: string, messages: NewMessage[]) => {
          for (const m of messages) {
            await store.recordStatus(m.id, conv, 'DELIVERED', new Date(m.createdAt.getTime() + 5));
            await store.recordStatus(m.id, conv, 'READ', new Date(m.createdAt.getTime() + 10));
          }
        };
        const read = (m: NewMessage) => [
          m.id,
          [
            { status: 'SENT', at: m.createdAt },
            { status: 'DELIVERED', at: new Date(m.createdAt.getTime() + 5) },
            { status: 'READ', at: new Date(m.createdAt.getTime() + 10) },
          ],
        ];

        const busy = conversation();
        // x and y are newer, their statuses recorded before their rows (status events can outrun the insert): the
        // status rows newest first are y's, x's, m3's, then m2's, which a page of two must still show.
        const [m1, m2, m3, x, y] = [0, 1, 2, 3, 4].map((i) => message(busy, now + i));
        await insertAll([m1!, m2!, m3!]);
        await lifecycle(busy, [m1!, m2!, m3!, x!, y!]);
        const busyPage = await store.listByConversation(busy, { first: 2 });
        expect(busyPage.items.map((m) => [m.id, m.statusHistory])).toEqual([read(m3!), read(m2!)]);

        const quiet = conversation();
        const messages = [0, 1, 2].map((i) => message(quiet, now + i));
        await insertAll(messages);
        await lifecycle(quiet, messages);
        const quietPage = await store.listByConversation(quiet, { first: 2 });
        expect(quietPage.items.map((m) => [m.id, m.statusHistory])).toEqual([read(messages[2]!), read(messages[1]!)]);
      });

      it('rejects a page size below 1, above the maximum, or fractional', async () => {
        const conv = conversation();
        for (const first of [0, -1, MAX_PAGE_SIZE + 1, 1.5]) {
          await expect(store.listByConversation(conv, { first })).rejects.toThrow(/first must be an integer from 1 to/);
        }
        await expect(store.listByConversation(conv, { first: MAX_PAGE_SIZE })).resolves.toMatchObject({ items: [] });
      });

      it('rejects a cursor it did not produce', async () => {
        const conv = conversation();
        for (const after of ['garbage!', Buffer.from('{"v":1,"id":"x"}').toString('base64url'), 'e30']) {
          await expect(store.listByConversation(conv, { first: 2, after })).rejects.toThrow(/invalid cursor/);
        }
      });
    });

    describe('status', () => {
      async function inserted(): Promise<NewMessage> {
        const m = message(conversation(), Date.now() - 60_000);
        await store.insert(m);
        return m;
      }
      const later = (m: NewMessage, ms: number) => new Date(m.createdAt.getTime() + ms);

      it('moves forward and ignores a late SENT after DELIVERED', async () => {
        const m = await inserted();
        expect(await store.recordStatus(m.id, m.conversationId, 'DELIVERED', later(m, 100))).toBe(true);
        expect(await store.recordStatus(m.id, m.conversationId, 'SENT', later(m, 200))).toBe(false);
        const stored = await store.get(m.id);
        expect(stored?.status).toBe('DELIVERED');
        expect(stored?.statusHistory).toEqual([
          { status: 'SENT', at: m.createdAt },
          { status: 'DELIVERED', at: later(m, 100) },
        ]);
      });

      it('keeps READ when a duplicate or late DELIVERED arrives, each transition once with its first time', async () => {
        const m = await inserted();
        expect(await store.recordStatus(m.id, m.conversationId, 'DELIVERED', later(m, 100))).toBe(true);
        expect(await store.recordStatus(m.id, m.conversationId, 'READ', later(m, 200))).toBe(true);
        expect(await store.recordStatus(m.id, m.conversationId, 'DELIVERED', later(m, 300))).toBe(false);
        expect(await store.recordStatus(m.id, m.conversationId, 'READ', later(m, 400))).toBe(false);
        const stored = await store.get(m.id);
        expect(stored?.status).toBe('READ');
        expect(stored?.statusHistory).toEqual([
          { status: 'SENT', at: m.createdAt },
          { status: 'DELIVERED', at: later(m, 100) },
          { status: 'READ', at: later(m, 200) },
        ]);
      });

      it('keeps the first time when two writers record the same status at once', async () => {
        // E.g. the router's own DELIVERED and the connector's, applied by the status persister. Without a transaction
        // around read and write (Cassandra) both see SENT and both write, in either order: eight races, so that the
        // write of the later time lands last in some of them.
        const raced = await Promise.all(
          Array.from({ length: 8 }, async () => {
            const m = await inserted();
            const [first] = await Promise.all([
              store.recordStatus(m.id, m.conversationId, 'DELIVERED', later(m, 100)),
              store.recordStatus(m.id, m.conversationId, 'DELIVERED', later(m, 200)),
            ]);
            expect(first).toBe(true);
            return m;
          }),
        );
        for (const m of raced) {
          expect((await store.get(m.id))?.statusHistory).toEqual([
            { status: 'SENT', at: m.createdAt },
            { status: 'DELIVERED', at: later(m, 100) },
          ]);
        }
      });

      it('records a transition whose clock is behind the previous one at the previous time, keeping history in order', async () => {
        const m = await inserted();
        expect(await store.recordStatus(m.id, m.conversationId, 'DELIVERED', later(m, 700))).toBe(true);
        // e.g. a platform webhook's whole-second timestamp, truncated below our own DELIVERED time.
        expect(await store.recordStatus(m.id, m.conversationId, 'READ', later(m, 0))).toBe(true);
        expect((await store.get(m.id))?.statusHistory).toEqual([
          { status: 'SENT', at: m.createdAt },
          { status: 'DELIVERED', at: later(m, 700) },
          { status: 'READ', at: later(m, 700) },
        ]);
      });

      it('may skip DELIVERED and go straight to READ', async () => {
        const m = await inserted();
        expect(await store.recordStatus(m.id, m.conversationId, 'READ', later(m, 50))).toBe(true);
        expect(await store.recordStatus(m.id, m.conversationId, 'DELIVERED', later(m, 10))).toBe(false);
        expect((await store.get(m.id))?.statusHistory.map((t) => t.status)).toEqual(['SENT', 'READ']);
      });

      it('ignores FAILED after READ', async () => {
        const m = await inserted();
        await store.recordStatus(m.id, m.conversationId, 'READ', later(m, 100));
        expect(await store.recordStatus(m.id, m.conversationId, 'FAILED', later(m, 200), 'too late')).toBe(false);
        const stored = await store.get(m.id);
        expect(stored?.status).toBe('READ');
        expect(stored?.failureReason).toBeUndefined();
      });

      it('accepts FAILED from DELIVERED with its reason, and nothing after it', async () => {
        const m = await inserted();
        await store.recordStatus(m.id, m.conversationId, 'DELIVERED', later(m, 100));
        expect(await store.recordStatus(m.id, m.conversationId, 'FAILED', later(m, 200), 'recipient blocked')).toBe(true);
        expect(await store.recordStatus(m.id, m.conversationId, 'READ', later(m, 300))).toBe(false);
        expect(await store.recordStatus(m.id, m.conversationId, 'FAILED', later(m, 400), 'again')).toBe(false);
        const stored = await store.get(m.id);
        expect(stored?.status).toBe('FAILED');
        expect(stored?.failureReason).toBe('recipient blocked');
        expect(stored?.statusHistory).toEqual([
          { status: 'SENT', at: m.createdAt },
          { status: 'DELIVERED', at: later(m, 100) },
          { status: 'FAILED', at: later(m, 200) },
        ]);
      });

      it('accepts FAILED straight from SENT', async () => {
        const m = await inserted();
        expect(await store.recordStatus(m.id, m.conversationId, 'FAILED', later(m, 100))).toBe(true);
        const stored = await store.get(m.id);
        expect(stored?.status).toBe('FAILED');
        expect(stored?.failureReason).toBeUndefined();
      });

      it('treats SENT for a stored message as no move', async () => {
        const m = await inserted();
        expect(await store.recordStatus(m.id, m.conversationId, 'SENT', later(m, 1))).toBe(false);
        expect((await store.get(m.id))?.statusHistory).toEqual([{ status: 'SENT', at: m.createdAt }]);
      });

      it('keeps a status that arrived before the message was stored', async () => {
        const m = message(conversation(), Date.now() - 60_000);
        expect(await store.recordStatus(m.id, m.conversationId, 'DELIVERED', later(m, 100))).toBe(true);
        expect(await store.get(m.id)).toBeNull();
        await store.insert(m);
        expect((await store.get(m.id))?.status).toBe('DELIVERED');
      });
    });

    describe('findByClientMessageId', () => {
      it('finds the message by sender and client message id only', async () => {
        const clientMessageId = `client-${randomUUID()}`;
        const m = message(conversation(), Date.now(), { clientMessageId });
        await store.insert(m);
        expect((await store.findByClientMessageId(m.senderId, clientMessageId))?.id).toBe(m.id);
        expect(await store.findByClientMessageId(`user-${randomUUID()}`, clientMessageId)).toBeNull();
        expect(await store.findByClientMessageId(m.senderId, `client-${randomUUID()}`)).toBeNull();
      });

      it('answers with the current status', async () => {
        const clientMessageId = `client-${randomUUID()}`;
        const m = message(conversation(), Date.now(), { clientMessageId });
        await store.insert(m);
        await store.recordStatus(m.id, m.conversationId, 'DELIVERED', new Date(m.createdAt.getTime() + 1));
        expect((await store.findByClientMessageId(m.senderId, clientMessageId))?.status).toBe('DELIVERED');
      });
    });
  });
}
