import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger } from '@chat4all/common';
import { describeSendClaimStoreContract } from '../src/claims/contract';
import { EmbeddedSendClaimStore } from '../src/claims/embedded';
import { describeMessageStoreContract } from '../src/store/contract';
import { EmbeddedMessageStore } from '../src/store/embedded';
import { migrateEmbedded, verifyEmbedded } from '../src/store/embedded-db';
import { newMessageId, messageIdTime } from '../src/store/ids';

const log = createLogger('messages-embedded-test', 'silent');
const folders: string[] = [];

async function freshFolder(): Promise<{ dataDir: string }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chat4all-messages-'));
  folders.push(dataDir);
  await migrateEmbedded({ dataDir }, log);
  return { dataDir };
}

afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

describeMessageStoreContract('embedded (SQLite)', async () => EmbeddedMessageStore.open(await freshFolder()));
describeSendClaimStoreContract('embedded (SQLite)', async () => EmbeddedSendClaimStore.open(await freshFolder()));

describe('embedded message store on disk', () => {
  it('verify names what is missing before migrating and nothing after; migrating twice is harmless', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'chat4all-messages-'));
    folders.push(dataDir);
    expect((await verifyEmbedded({ dataDir })).length).toBeGreaterThan(0);
    await migrateEmbedded({ dataDir }, log);
    await migrateEmbedded({ dataDir }, log);
    expect(await verifyEmbedded({ dataDir })).toEqual([]);
  });

  it('keeps messages, statuses and claims across a close and reopen of the same folder', async () => {
    const config = await freshFolder();
    const id = newMessageId();
    const message = { id, conversationId: 'conv-restart', senderId: 'user-restart', content: 'kept', clientMessageId: 'c-1', createdAt: new Date(messageIdTime(id)) };
    const store = await EmbeddedMessageStore.open(config);
    await store.insert(message);
    await store.recordStatus(id, message.conversationId, 'DELIVERED', new Date(messageIdTime(id) + 1000));
    await store.close();
    const claims = await EmbeddedSendClaimStore.open(config);
    await claims.claim({ messageId: id, conversationId: message.conversationId, senderId: 'user-restart', clientMessageId: 'c-1', createdAt: message.createdAt }, 60_000);
    await claims.close();

    const reopened = await EmbeddedMessageStore.open(config);
    const reopenedClaims = await EmbeddedSendClaimStore.open(config);
    try {
      expect(await reopened.get(id)).toMatchObject({ content: 'kept', status: 'DELIVERED' });
      expect((await reopened.findByClientMessageId('user-restart', 'c-1'))?.id).toBe(id);
      expect((await reopened.listByConversation('conv-restart')).items.map((m) => m.id)).toEqual([id]);
      expect((await reopenedClaims.get('user-restart', 'c-1'))?.messageId).toBe(id);
    } finally {
      await reopened.close();
      await reopenedClaims.close();
    }
  });
});
