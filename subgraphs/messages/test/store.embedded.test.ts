import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createLogger } from '@chat4all/common';
import { describeSendClaimStoreContract } from '../src/claims/contract';
import { EmbeddedSendClaimStore } from '../src/claims/embedded';
import { describeMessageStoreContract } from '../src/store/contract';
import { EmbeddedMessageStore } from '../src/store/embedded';
import { EMBEDDED_DB_FILE, EMBEDDED_MIGRATIONS, migrateEmbedded, openEmbeddedDb, verifyEmbedded } from '../src/store/embedded-db';
import { PLATFORM_REF_TTL_MS, SEND_CLAIM_TTL_MS } from '../src/store/expiry';
import { MIGRATIONS_DIR } from '../src/store/migrate';
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

  it('syncs every commit to disk (WAL, synchronous FULL), as the embedded bus syncs the offsets committed after it', async () => {
    const db = openEmbeddedDb(await freshFolder());
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('synchronous', { simple: true })).toBe(2); // 2 = FULL (NORMAL, 1, syncs at checkpoints only)
    } finally {
      db.close();
    }
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

describe('embedded send claims expire as Cassandra’s do (CQL 005)', () => {
  const start = Date.UTC(2030, 0, 1);
  let now = start;
  const clock = () => now;
  beforeEach(() => {
    now = start;
  });

  function proposal(clientMessageId: string, senderId = 'user-expiry') {
    const messageId = newMessageId(now);
    return { messageId, conversationId: 'conv-expiry', senderId, clientMessageId, content: messageId, createdAt: new Date(now) };
  }

  function rowCount(dataDir: string): number {
    const db = new Database(path.join(dataDir, EMBEDDED_DB_FILE), { readonly: true });
    try {
      return (db.prepare('SELECT count(*) AS n FROM send_claims').get() as { n: number }).n;
    } finally {
      db.close();
    }
  }

  it('the TTLs are the Cassandra tables’ default_time_to_live', async () => {
    const ttlMs = async (file: string) => Number(/default_time_to_live = (\d+)/.exec(await readFile(path.join(MIGRATIONS_DIR, file), 'utf8'))?.[1]) * 1000;
    expect(SEND_CLAIM_TTL_MS).toBe(await ttlMs('005_send_claims_ttl.cql'));
    expect(PLATFORM_REF_TTL_MS).toBe(await ttlMs('004_platform_message_refs.cql'));
  });

  it('a claim answers until its TTL is up, then reads as absent and the pair is claimed afresh', async () => {
    const claims = await EmbeddedSendClaimStore.open(await freshFolder(), { now: clock });
    try {
      const first = proposal('c-expiring');
      const won = await claims.claim(first, 60_000);
      if (won.kind !== 'claimed') throw new Error(`expected claimed, got ${won.kind}`);
      await claims.markProduced(won.lease);

      now = start + SEND_CLAIM_TTL_MS - 1;
      const retry = await claims.claim(proposal('c-expiring'), 60_000);
      expect(retry).toMatchObject({ kind: 'produced', claim: { messageId: first.messageId } });

      now = start + SEND_CLAIM_TTL_MS;
      expect(await claims.get(first.senderId, first.clientMessageId)).toBeNull();
      const late = proposal('c-expiring');
      const fresh = await claims.claim(late, 60_000);
      expect(fresh).toMatchObject({ kind: 'claimed', claim: { messageId: late.messageId, state: 'CLAIMED' } });
      expect((await claims.get(first.senderId, first.clientMessageId))?.messageId).toBe(late.messageId);
    } finally {
      await claims.close();
    }
  });

  it('a lease taken over late does not extend the claim, and an expired lease can neither produce nor release', async () => {
    const claims = await EmbeddedSendClaimStore.open(await freshFolder(), { now: clock });
    try {
      const first = proposal('c-taken-over');
      expect((await claims.claim(first, 1)).kind).toBe('claimed');
      now = start + SEND_CLAIM_TTL_MS - 10;
      const taken = await claims.claim(proposal('c-taken-over'), 60_000);
      if (taken.kind !== 'claimed') throw new Error(`expected claimed, got ${taken.kind}`);
      expect(taken.claim.messageId).toBe(first.messageId);

      now = start + SEND_CLAIM_TTL_MS; // the row expires with its first write, as Cassandra's cells do
      await claims.markProduced(taken.lease);
      await claims.release(taken.lease);
      expect(await claims.get(first.senderId, first.clientMessageId)).toBeNull();
    } finally {
      await claims.close();
    }
  });

  it('sweeping deletes expired claims only; until then they stay in the file but unread', async () => {
    const config = await freshFolder();
    const claims = await EmbeddedSendClaimStore.open(config, { now: clock });
    try {
      await claims.claim(proposal('c-old'), 60_000);
      now = start + 1000;
      await claims.claim(proposal('c-new'), 60_000);
      now = start + SEND_CLAIM_TTL_MS + 500;
      expect(rowCount(config.dataDir)).toBe(2);
      expect(await claims.get('user-expiry', 'c-old')).toBeNull();
      expect(claims.sweepExpired()).toBe(1);
      expect(rowCount(config.dataDir)).toBe(1);
      expect(await claims.get('user-expiry', 'c-new')).not.toBeNull();
    } finally {
      await claims.close();
    }
  });

  it('the sweeper runs on its own at the configured interval', async () => {
    const config = await freshFolder();
    const claims = await EmbeddedSendClaimStore.open(config, { now: clock, sweepIntervalMs: 20 });
    try {
      await claims.claim(proposal('c-swept'), 60_000);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(rowCount(config.dataDir)).toBe(1);
      now = start + SEND_CLAIM_TTL_MS;
      const deadline = Date.now() + 5000;
      while (rowCount(config.dataDir) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(rowCount(config.dataDir)).toBe(0);
    } finally {
      await claims.close();
    }
  });

  it('upgrading a folder from before expiry gives its claims and refs a full TTL from the upgrade', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'chat4all-messages-'));
    folders.push(dataDir);
    const old = openEmbeddedDb({ dataDir });
    for (const m of EMBEDDED_MIGRATIONS.filter((m) => m.version <= 4)) {
      old.exec(m.sql);
      old.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, 0);
    }
    old.prepare(`INSERT INTO send_claims (sender_id, client_message_id, message_id, conversation_id, created_at, state, lease_owner, lease_until)
      VALUES ('user-old', 'c-old', 'm-old', 'conv-old', 0, 'PRODUCED', 'x', 0)`).run();
    old.prepare(`INSERT INTO platform_message_refs (channel, platform_message_id, message_id, conversation_id) VALUES ('INSTAGRAM', 'mid.old', 'm-old', 'conv-old')`).run();
    old.close();

    const before = Date.now();
    await migrateEmbedded({ dataDir }, log);
    const after = Date.now();
    const db = new Database(path.join(dataDir, EMBEDDED_DB_FILE), { readonly: true });
    try {
      const claim = db.prepare('SELECT expires_at FROM send_claims').get() as { expires_at: number };
      const ref = db.prepare('SELECT expires_at FROM platform_message_refs').get() as { expires_at: number };
      // SQLite's clock has whole seconds here.
      expect(claim.expires_at).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + SEND_CLAIM_TTL_MS);
      expect(claim.expires_at).toBeLessThanOrEqual(after + SEND_CLAIM_TTL_MS);
      expect(ref.expires_at).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + PLATFORM_REF_TTL_MS);
      expect(ref.expires_at).toBeLessThanOrEqual(after + PLATFORM_REF_TTL_MS);
    } finally {
      db.close();
    }
    const claims = await EmbeddedSendClaimStore.open({ dataDir });
    try {
      expect((await claims.get('user-old', 'c-old'))?.messageId).toBe('m-old');
    } finally {
      await claims.close();
    }
  });
});
