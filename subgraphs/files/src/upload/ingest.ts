import { badUserInput, errorCode, newUuidV7, payloadTooLarge, unavailable, type FileUpload, type Logger } from '@chat4all/common';
import { contentKey } from '../store/keys';
import { BlobTooLargeError } from '../store/port';
import type { BlobStore, FileRecord, FileRecordStore } from '../store/port';
import { contentMismatch, isAllowedContentType, normalizeContentType, SIGNATURE_BYTES } from './content-type';
import { sanitizeFilename } from './filename';
import { peekHead } from './head';

export interface IngestOptions {
  maxBytes: number;
  allowedContentTypes: readonly string[];
}

export interface IngestDependencies {
  blobs: BlobStore;
  records: FileRecordStore;
  log: Logger;
}

/**
 * Takes one upload into the store: checks the declared type against the allow-list and the file's first bytes,
 * streams the content under a new UUIDv7 (size and SHA-256 computed on the way, the size limit enforced on the way),
 * then writes the metadata. Refusals are GraphQL errors (BAD_USER_INPUT, PAYLOAD_TOO_LARGE; UNAVAILABLE when the store
 * fails); nothing is left behind by a refused or failed upload.
 */
export async function ingestUpload(upload: FileUpload, ownerId: string, options: IngestOptions, deps: IngestDependencies): Promise<FileRecord> {
  const filename = sanitizeFilename(upload.filename);
  const contentType = normalizeContentType(upload.mimetype);
  if (contentType === null) throw badUserInput(`"${upload.mimetype}" is not a content type`, 'file');
  if (!isAllowedContentType(contentType, options.allowedContentTypes)) {
    throw badUserInput(`files of type ${contentType} are not accepted`, 'file');
  }

  const { head, body, abandon } = await peekHead(upload.createReadStream(), SIGNATURE_BYTES);
  const mismatch = contentMismatch(contentType, head);
  if (mismatch !== null) {
    await abandon();
    throw badUserInput(mismatch, 'file');
  }

  const id = newUuidV7();
  const key = contentKey(id);
  let stored: { size: number; sha256: string };
  try {
    stored = await deps.blobs.put(key, body, { contentType, maxBytes: options.maxBytes });
  } catch (error) {
    // The upload guard normally stops an oversize file first (with its own PAYLOAD_TOO_LARGE); the store's limit is
    // the same number, kept as the backstop.
    if (error instanceof BlobTooLargeError) throw payloadTooLarge(`file exceeds the ${options.maxBytes} byte limit`);
    // The client's side (its stream broke, the guard's limit) comes with a code; anything else is the store's.
    if (errorCode(error) !== undefined) throw error;
    throw storeUnavailable(deps.log, error, 'content');
  }

  const record: FileRecord = { id, filename, contentType, size: stored.size, sha256: stored.sha256, ownerId, createdAt: new Date() };
  try {
    await deps.records.save(record);
  } catch (error) {
    // Without its metadata the content is unreachable: remove it rather than leave an orphan.
    await deps.blobs.delete(key).catch((cleanup: unknown) => deps.log.warn({ err: cleanup, key }, 'could not remove content of a failed upload'));
    throw storeUnavailable(deps.log, error, 'record');
  }
  deps.log.info({ fileId: id, ownerId, contentType, size: record.size }, 'file uploaded');
  return record;
}

/** The file store failed (an outage, not the file): logged with its cause, and the client told to upload again. */
function storeUnavailable(log: Logger, error: unknown, what: 'content' | 'record') {
  log.error({ err: error, what }, 'upload not stored: the file store failed');
  return unavailable('the file could not be stored: upload it again in a moment');
}
