import { KeptRecords } from '@chat4all/common';
import type { FileRecord, FileRecordStore } from './port';

/**
 * File records never change once saved (there is no update and no delete), so a found record can be kept: a page of
 * attachments then costs no metadata read at all once its files were seen. Bounded by count, least recently used out.
 * A missing record is not kept: the upload that saves it may still be on its way.
 */
export class CachedFileRecordStore implements FileRecordStore {
  private readonly kept: KeptRecords<FileRecord>;

  constructor(
    private readonly inner: FileRecordStore,
    maxEntries: number,
  ) {
    this.kept = new KeptRecords(maxEntries);
  }

  async save(record: FileRecord): Promise<void> {
    await this.inner.save(record);
    this.kept.keep(record.id, record);
  }

  getMany(ids: readonly string[]): Promise<(FileRecord | null)[]> {
    return this.kept.getMany(ids, (missing) => this.inner.getMany(missing));
  }
}
