import type { Logger, Membership } from '@chat4all/common';
import type { Caller } from '../auth';
import type { FanOut, LiveEvent } from './fanout';
import type { Feed } from './feed';
import type { MemberLists } from './member-lists';
import type { SubscriptionMetrics } from './metrics';
import type { EventResolver } from './resolve';
import type { Replays } from './resume';
import type { DirectSink } from './stream';

/** What every subscription's resolvers see. */
export interface SubscriptionContext {
  caller: Caller;
  /** Closes this subscriber's socket (used when its buffer overflows). */
  closeSocket(code: number, reason: string): void;
  /** Bytes the socket holds unsent (ws `bufferedAmount`): its client is not reading when this grows. */
  socketBuffered(): number;
  /**
   * Sends one `next` message of this subscription with an already serialized payload (UTF-8 JSON, frames.ts), unless the socket
   * is closed; a socket holding over `maxSocketBufferBytes` unsent is closed with 4429 instead.
   */
  sendNext(payload: Buffer): void;
  /**
   * Starts resolving a live event for this subscription's selection before the event is handed to any subscriber
   * (the fan-out calls it when the subscriber is a member by the membership cache; set by subscribeThroughPlans once the
   * operation is planned). Subscriptions with the same `key` share the resolution. Each subscriber takes its events one
   * at a time: resolved only when it reached them, the next event of a conversation would wait for the one before it
   * to resolve, so one selection could follow no more events per second than one resolution's latency allows.
   */
  prefetch?: { key: string; start(event: LiveEvent): void };
  /**
   * Writes a live event once its shared resolution settles, for a subscriber with nothing under way (stream.ts calls
   * it; set by subscribeThroughPlans): see DirectSink. The caller has checked membership.
   */
  deliverNow?: DirectSink;
}

export interface SubscriptionDeps {
  fanOut: FanOut;
  /** Where a fresh subscription starts (the feed's position when its listener is attached). */
  feed: Pick<Feed, 'position'>;
  /** Resumes subscriptions that pass `after`. */
  replays: Pick<Replays, 'start'>;
  /** `forget` when a subgraph refuses a subscriber the cache still calls a member (resolve.ts). */
  membership: Pick<Membership, 'isMember' | 'isMemberNow' | 'forget'>;
  /** The conversations each `myEvents` subscriber may belong to, so only their events take its queue space. */
  memberLists: Pick<MemberLists, 'watch'>;
  /** Plans subscribers' operations and resolves each event once per distinct selection (resolve.ts). */
  events: Pick<EventResolver, 'select' | 'resolve' | 'resolvedNow' | 'prefetch' | 'whenResolved'>;
  /** Most events waiting for one subscriber; beyond it the socket closes with 4429. */
  bufferSize: number;
  /** Bytes a socket may hold unsent; beyond it the socket closes with 4429. */
  maxSocketBufferBytes: number;
  metrics: SubscriptionMetrics;
  log: Logger;
}

export const CLOSE_TOO_SLOW = { code: 4429, reason: 'subscriber too slow' } as const;
/** graphql-ws's Forbidden: its client reconnects after it, with the (fresh) token its connectionParams give then. */
export const CLOSE_TOKEN_EXPIRED = { code: 4403, reason: 'Forbidden: token expired' } as const;


/** Closes a socket whose client does not read (more than `maxSocketBufferBytes` unsent) with 4429. */
export function closeTooSlowSocket(deps: Pick<SubscriptionDeps, 'log' | 'metrics' | 'maxSocketBufferBytes'>, close: (code: number, reason: string) => void, buffered: number): void {
  deps.log.warn({ buffered, limit: deps.maxSocketBufferBytes }, 'subscriber too slow (socket send buffer full): closing its socket');
  deps.metrics.tooSlow('socket_buffer');
  close(CLOSE_TOO_SLOW.code, `${CLOSE_TOO_SLOW.reason}: over ${deps.maxSocketBufferBytes} bytes unsent`);
}
