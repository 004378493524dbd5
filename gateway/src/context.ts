import type { Caller } from './auth';

/** What every gateway request carries into the query plan and the subgraph data sources. */
export interface GatewayContext {
  /** The caller, from a verified bearer token; null for anonymous requests (register, login). */
  identity: Caller | null;
}
