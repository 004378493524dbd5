import type { JwtService, Logger } from '@chat4all/common';
import type { UserRepository } from '../store/port';

/** What the resolvers are built from (server.ts wires the real ones). */
export interface ResolverDeps {
  repository: UserRepository;
  /** Issues the client's token on register and login. */
  jwt: JwtService;
  log: Logger;
}
