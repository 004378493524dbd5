import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { IntrospectAndCompose, type SupergraphManager } from '@apollo/gateway';
import type { Config } from '../config';

/** The committed composition result; `npm run compose` rewrites it and a test keeps it fresh. */
export const defaultSupergraphPath = path.resolve(__dirname, '../../../supergraph.graphql');

/** Where each subgraph answers: the config wins over the routing URLs baked into the supergraph. */
export function subgraphUrls(config: Pick<Config, 'SUBGRAPH_USERS_URL' | 'SUBGRAPH_MESSAGES_URL' | 'SUBGRAPH_FILES_URL'>): Record<string, string> {
  return { users: config.SUBGRAPH_USERS_URL, messages: config.SUBGRAPH_MESSAGES_URL, files: config.SUBGRAPH_FILES_URL };
}

/**
 * The supergraph the gateway serves. Static by default: the gateway never depends on the subgraphs
 * being up to start, and what it serves is exactly what was reviewed and committed. `introspect`
 * composes at start from the subgraphs' `_service { sdl }` (handy while editing SDLs; not for production).
 */
export async function supergraphSource(
  config: Pick<Config, 'SUPERGRAPH_MODE' | 'SUPERGRAPH_PATH' | 'SUBGRAPH_USERS_URL' | 'SUBGRAPH_MESSAGES_URL' | 'SUBGRAPH_FILES_URL'>,
): Promise<{ supergraphSdl: string } | { supergraphSdl: SupergraphManager }> {
  if (config.SUPERGRAPH_MODE === 'introspect') {
    const subgraphs = Object.entries(subgraphUrls(config)).map(([name, url]) => ({ name, url }));
    return { supergraphSdl: new IntrospectAndCompose({ subgraphs }) };
  }
  const file = config.SUPERGRAPH_PATH ? path.resolve(config.SUPERGRAPH_PATH) : defaultSupergraphPath;
  try {
    return { supergraphSdl: await readFile(file, 'utf8') };
  } catch (error) {
    throw new Error(`cannot read the supergraph at ${file} (run \`npm run compose\`): ${error instanceof Error ? error.message : String(error)}`);
  }
}
