import { unavailable, type Logger } from '@chat4all/common';
import { PeerUnavailableError } from './port';

/**
 * Runs a call that asks a peer subgraph. When the peer cannot answer, the caller gets UNAVAILABLE, which says to try
 * again (never a wrong FORBIDDEN), and the cause goes to the log, not to the client.
 */
export async function askPeer<T>(log: Logger, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!(error instanceof PeerUnavailableError)) throw error;
    log.error({ err: error, peer: error.peer }, 'peer subgraph call failed');
    throw unavailable(`could not reach the ${error.peer} service; try again`);
  }
}
