import { TtlLru } from '@chat4all/common';
import type { FileRecord, FileRecordStore } from './port';

/**
 * File records never change once saved (there is no update and no delete), so a found record can be kept: a page of
 * attachments then costs no metadata read at all once its files were seen. Bounded by count, least recently used out.
 * A missing record is not kept: the upload that saves it may still be on its way.
 */
export class CachedFileRecordStore implements FileRecordStore {
  private readonly cache: TtlLru<string, FileRecord>;

  constructor(
    private readonly inner: FileRecordStore,
    maxEntries: number,
  ) {
    this.cache = new TtlLru(maxEntries, Infinity);
  }

  async save(record: FileRecord): Promise<void> {
    await this.inner.save(record);
    this.cache.set(record.id, record);
  }

  async getMany(ids: readonly string[]): Promise<(FileRecord | null)[]> {
    const found = ids.map((id) => this.cache.get(id) ?? null);
    const missing = ids.filter((_, i) => found[i] === null);
    if (missing.length === 0) return found;
    const read = await this.inner.getMany(missing);
    let next = 0;
    return found.map((record) => {
      if (record) return record;
      const fresh = read[next++] ?? null;
      if (fresh) this.cache.set(fresh.id, fresh);
      return fresh;
    });
  }
}
