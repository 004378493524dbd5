import type { Logger } from '@chat4all/common';
import type { Membership } from '../peers/membership';
import type { MessageSender } from '../send/sender';
import type { MessageStore } from '../store/port';

/** What the resolvers are built from (server.ts wires the real ones). */
export interface ResolverDeps {
  store: MessageStore;
  sender: MessageSender;
  membership: Membership;
  log: Logger;
}
