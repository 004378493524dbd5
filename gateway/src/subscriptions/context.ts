import type { Logger, Membership } from '@chat4all/common';
import type { Caller } from '../auth';
import type { FanOut } from './fanout';
import type { EventResolver } from './resolve';

/** What every subscription's resolvers see. */
export interface SubscriptionContext {
  caller: Caller;
  /** Closes this subscriber's socket (used when its buffer overflows). */
  closeSocket(code: number, reason: string): void;
}

export interface SubscriptionDeps {
  fanOut: FanOut;
  membership: Pick<Membership, 'isMember'>;
  /** Plans subscribers' operations and resolves each event once per distinct selection (resolve.ts). */
  events: Pick<EventResolver, 'select' | 'resolve'>;
  /** Most events waiting for one subscriber; beyond it the socket closes with 4429. */
  bufferSize: number;
  log: Logger;
}

export const CLOSE_TOO_SLOW = { code: 4429, reason: 'subscriber too slow' } as const;

