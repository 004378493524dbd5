import { CachedFileRecordStore } from '../src/store/cached-records';
import type { FileRecord, FileRecordStore } from '../src/store/port';

/** An in-memory record store that counts the ids it was asked for. */
class CountingRecords implements FileRecordStore {
  readonly records = new Map<string, FileRecord>();
  readonly asked: string[][] = [];

  async save(record: FileRecord): Promise<void> {
    this.records.set(record.id, record);
  }

  async getMany(ids: readonly string[]): Promise<(FileRecord | null)[]> {
    this.asked.push([...ids]);
    return ids.map((id) => this.records.get(id) ?? null);
  }
}

const record = (id: string): FileRecord => ({ id, filename: `${id}.txt`, contentType: 'text/plain', size: 3, sha256: 'a'.repeat(64), ownerId: 'u-1', createdAt: new Date(0) });

describe('CachedFileRecordStore', () => {
  it('reads a record once, then answers it from memory, in request order beside records it still has to read', async () => {
    const inner = new CountingRecords();
    for (const id of ['a', 'b', 'c']) await inner.save(record(id));
    const cached = new CachedFileRecordStore(inner, 10);

    expect((await cached.getMany(['a', 'b'])).map((r) => r?.id)).toEqual(['a', 'b']);
    expect((await cached.getMany(['c', 'a', 'b'])).map((r) => r?.id)).toEqual(['c', 'a', 'b']);
    expect(inner.asked).toEqual([['a', 'b'], ['c']]);
    expect(await cached.getMany(['b', 'c'])).toEqual([record('b'), record('c')]);
    expect(inner.asked).toHaveLength(2);
  });

  it('does not keep a miss: a record saved later (an upload still on its way) is found', async () => {
    const inner = new CountingRecords();
    const cached = new CachedFileRecordStore(inner, 10);
    expect(await cached.getMany(['late'])).toEqual([null]);
    await inner.save(record('late'));
    expect(await cached.getMany(['late'])).toEqual([record('late')]);
  });

  it('keeps what it saves, and at most maxEntries records (least recently used out)', async () => {
    const inner = new CountingRecords();
    const cached = new CachedFileRecordStore(inner, 2);
    await cached.save(record('x'));
    await cached.save(record('y'));
    await cached.getMany(['x']); // y is now the least recently used
    await cached.save(record('z'));
    inner.asked.length = 0;
    await cached.getMany(['x', 'y', 'z']);
    expect(inner.asked).toEqual([['y']]);
  });
});
