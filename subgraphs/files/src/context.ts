import type DataLoader from 'dataloader';
import type { FileUpload, Identity } from '@chat4all/common';
import type { FileRecord } from './store/port';

/** What every resolver sees for one request. Loaders are per request, so batching never mixes callers. */
export interface FilesContext {
  /** Verified by the subgraph kit from the gateway-signed headers; null for an anonymous request. */
  identity: Identity | null;
  loaders: {
    /** File records by id, batched into one `getMany` per tick (a page of attachments is one batch). */
    file: DataLoader<string, FileRecord | null>;
  };
}

/** What an `Upload!` argument is when a resolver receives it: the file, once its part of the request arrives. */
export type UploadArgument = Promise<FileUpload>;
