import { Readable } from 'node:stream';
import { createLogger, type FileUpload } from '@chat4all/common';
import type { GraphQLError } from 'graphql';
import type { BlobStore, FileRecord, FileRecordStore, PutOptions } from '../src/store/port';
import { ingestUpload } from '../src/upload/ingest';

const log = createLogger('ingest-test', 'silent');
const options = { maxBytes: 1024, allowedContentTypes: ['text/plain'] };
const upload = (): FileUpload => ({ filename: 'note.txt', mimetype: 'text/plain', encoding: '7bit', createReadStream: () => Readable.from([Buffer.from('hello')]) });

/** A blob store that takes every byte, unless told to fail; what it holds is visible. */
function blobs(failPut?: Error): BlobStore & { held: Set<string> } {
  const held = new Set<string>();
  return {
    held,
    put: async (key: string, body: Readable, _options: PutOptions) => {
      for await (const _ of body); // read it all, as a store does
      if (failPut) throw failPut;
      held.add(key);
      return { size: 5, sha256: 'x' };
    },
    delete: async (key: string) => void held.delete(key),
  } as unknown as BlobStore & { held: Set<string> }; // only put and delete are used by an ingest
}

const records = (fail?: Error): FileRecordStore => ({
  save: async (_record: FileRecord) => {
    if (fail) throw fail;
  },
  getMany: async () => [],
});

async function refusal(promise: Promise<unknown>): Promise<GraphQLError> {
  return promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (error: GraphQLError) => error,
  );
}

describe('ingestUpload when the file store fails', () => {
  it('answers UNAVAILABLE (upload again), not an internal error, when the content is not taken', async () => {
    const error = await refusal(ingestUpload(upload(), 'u1', options, { blobs: blobs(new Error('S3: connect ECONNREFUSED 10.0.0.9:9000')), records: records(), log }));
    expect(error.extensions?.code).toBe('UNAVAILABLE');
    expect(error.message).toBe('the file could not be stored: upload it again in a moment');
  });

  it('answers UNAVAILABLE when the record is not saved, and removes the content it stored', async () => {
    const store = blobs();
    const error = await refusal(ingestUpload(upload(), 'u1', options, { blobs: store, records: records(new Error('S3: SlowDown')), log }));
    expect(error.extensions?.code).toBe('UNAVAILABLE');
    expect(store.held.size).toBe(0);
  });
});
