import type DataLoader from 'dataloader';
import type { Identity } from '@chat4all/common';
import type { Message } from './store/types';

/** What every resolver sees for one request. Loaders are per request, so batching never mixes callers. */
export interface MessagesContext {
  /** Verified by the subgraph kit from the gateway-signed headers; null for an anonymous request. */
  identity: Identity | null;
  loaders: {
    /** Messages by id, batched into one `getMany` per tick. */
    message: DataLoader<string, Message | null>;
  };
}
