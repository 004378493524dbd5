import { signIdentity } from '../auth/identity';

/** What a platform needs to fetch a file: a URL that works for a while, and how to present it. */
export interface FileLink {
  url: string;
  filename: string;
  contentType: string;
}

/** Turns our file ids into fresh download links at send time (links expire, so they are never stored in events). */
export interface FileLinks {
  /** The link, or null when no such file exists. Rejects when the files service cannot answer (retried later). */
  link(fileId: string): Promise<FileLink | null>;
}

export interface FilesSubgraphLinksOptions {
  /** The files subgraph's GraphQL endpoint, e.g. http://127.0.0.1:4003/graphql. */
  url: string;
  identitySigningKey: string;
  /** Our service name in the signed identity, e.g. `connector-whatsapp`. */
  service: string;
  timeoutMs: number;
}

const ENTITIES_QUERY = 'query FileLinks($r: [_Any!]!) { _entities(representations: $r) { ... on File { url filename contentType } } }';

/** Asks the files subgraph for `File.url` (a presigned GET URL) through `_entities`, as a signed service identity. */
export class FilesSubgraphLinks implements FileLinks {
  constructor(private readonly options: FilesSubgraphLinksOptions) {}

  async link(fileId: string): Promise<FileLink | null> {
    const response = await fetch(this.options.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signIdentity({ service: this.options.service }, this.options.identitySigningKey) },
      body: JSON.stringify({ query: ENTITIES_QUERY, variables: { r: [{ __typename: 'File', id: fileId }] } }),
      signal: AbortSignal.timeout(this.options.timeoutMs),
    });
    const body = (await response.json().catch(() => undefined)) as
      | { data?: { _entities?: (Partial<FileLink> | null)[] }; errors?: { message?: string }[] }
      | undefined;
    if (!response.ok || body === undefined || (body.errors?.length ?? 0) > 0 || !body.data?._entities) {
      const reason = body?.errors?.map((e) => e.message).join('; ') || `HTTP ${response.status}`;
      throw new Error(`files subgraph could not give a link for file ${fileId}: ${reason}`);
    }
    const entity = body.data._entities[0];
    if (!entity) return null;
    const { url, filename, contentType } = entity;
    if (typeof url !== 'string' || typeof filename !== 'string' || typeof contentType !== 'string') {
      throw new Error(`files subgraph answered file ${fileId} without url, filename and contentType`);
    }
    return { url, filename, contentType };
  }
}
