import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger } from '@chat4all/common';
import { PLATFORM_REF_TTL_MS, migrateEmbedded, openEmbeddedDb } from '@chat4all/messages';
import { EmbeddedPlatformMessageRefs } from '../src/refs-embedded';

const start = Date.UTC(2030, 0, 1);
let now = start;
let dataDir: string;
let refs: EmbeddedPlatformMessageRefs;

beforeEach(async () => {
  now = start;
  dataDir = mkdtempSync(path.join(tmpdir(), 'chat4all-refs-'));
  await migrateEmbedded({ dataDir }, createLogger('refs-embedded-test', 'silent'));
  refs = await EmbeddedPlatformMessageRefs.open({ dataDir }, { now: () => now });
});

afterEach(async () => {
  await refs.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function rowCount(): number {
  const db = openEmbeddedDb({ dataDir });
  try {
    return (db.prepare('SELECT count(*) AS n FROM platform_message_refs').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

const ref = { messageId: 'm-1', conversationId: 'conv-1' };

describe('embedded platform message refs expire as Cassandra’s do (CQL 004, 30 days)', () => {
  it('a ref leads back to its message until its TTL is up, then reads as absent', async () => {
    await refs.save('INSTAGRAM', 'mid.1', ref);
    now = start + PLATFORM_REF_TTL_MS - 1;
    expect(await refs.find('INSTAGRAM', 'mid.1')).toEqual(ref);
    now = start + PLATFORM_REF_TTL_MS;
    expect(await refs.find('INSTAGRAM', 'mid.1')).toBeNull();
  });

  it('saving again (a redelivered send) restarts the TTL', async () => {
    await refs.save('INSTAGRAM', 'mid.2', ref);
    now = start + 10_000;
    await refs.save('INSTAGRAM', 'mid.2', ref);
    now = start + PLATFORM_REF_TTL_MS + 5_000;
    expect(await refs.find('INSTAGRAM', 'mid.2')).toEqual(ref);
    now = start + PLATFORM_REF_TTL_MS + 10_000;
    expect(await refs.find('INSTAGRAM', 'mid.2')).toBeNull();
  });

  it('sweeping deletes the expired refs only', async () => {
    await refs.save('INSTAGRAM', 'mid.old', ref);
    now = start + 1000;
    await refs.save('INSTAGRAM', 'mid.new', { messageId: 'm-2', conversationId: 'conv-1' });
    now = start + PLATFORM_REF_TTL_MS + 500;
    expect(rowCount()).toBe(2);
    expect(refs.sweepExpired()).toBe(1);
    expect(rowCount()).toBe(1);
    expect(await refs.find('INSTAGRAM', 'mid.new')).toEqual({ messageId: 'm-2', conversationId: 'conv-1' });
  });
});
