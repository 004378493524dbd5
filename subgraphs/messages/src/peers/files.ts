import { entityField, fetchEntities, type PeerOptions } from './entities';
import type { FileDirectory } from './port';

const isId = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

/** File owners from the files subgraph, through `_entities` with this service's signed identity. */
export class FilesSubgraphDirectory implements FileDirectory {
  constructor(private readonly peer: PeerOptions) {}

  ownerIds(fileIds: readonly string[]): Promise<(string | null)[]> {
    return fetchEntities(this.peer, 'File', fileIds, 'ownerId', (entity) => entityField(this.peer.name, entity, 'ownerId', isId));
  }
}
