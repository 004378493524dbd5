import type { EventBus, JwtService, Logger, MetricsRegistry } from '@chat4all/common';
import type { UserRepository } from '../store/port';

/** What the resolvers are built from (server.ts wires the real ones). */
export interface ResolverDeps {
  repository: UserRepository;
  /** Issues the client's token on register and login. */
  jwt: JwtService;
  log: Logger;
  /**
   * Where membership changes are announced (`conversations.members`), so the other services' membership caches drop
   * their answer at once. Without it (a test of the API alone) nothing is announced and those caches apply a change
   * within their TTL.
   */
  announcements?: Pick<EventBus, 'publish'>;
  /** Where announcements are counted (/metrics). */
  metrics?: MetricsRegistry;
  /** Members a conversation may have in all (CONVERSATION_MAX_MEMBERS). */
  maxMembers: number;
}
