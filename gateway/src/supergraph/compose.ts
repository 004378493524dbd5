import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse, type GraphQLError } from 'graphql';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** `supergraph.yaml` in rover's format: only the parts composition needs (file-based schemas). */
const supergraphConfigSchema = z.object({
  federation_version: z.string().optional(),
  subgraphs: z.record(
    z.string().min(1),
    z.object({
      routing_url: z.url(),
      schema: z.object({ file: z.string().min(1) }),
    }),
  ),
});

export type SupergraphConfig = z.infer<typeof supergraphConfigSchema>;

export interface SubgraphSource {
  name: string;
  url: string;
  /** Absolute path of the SDL file. */
  file: string;
  sdl: string;
}

export type ComposeResult =
  | { ok: true; supergraphSdl: string; hints: string[]; subgraphs: SubgraphSource[] }
  | { ok: false; errors: string[]; subgraphs: SubgraphSource[] };

/** Reads `supergraph.yaml` and the SDL files it lists (relative paths resolve against the yaml's folder). */
export async function loadSubgraphSources(configPath: string): Promise<SubgraphSource[]> {
  const parsed = supergraphConfigSchema.safeParse(parseYaml(await readFile(configPath, 'utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${configPath}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  const base = path.dirname(path.resolve(configPath));
  return Promise.all(
    Object.entries(parsed.data.subgraphs).map(async ([name, subgraph]) => {
      const file = path.resolve(base, subgraph.schema.file);
      return { name, url: subgraph.routing_url, file, sdl: await readFile(file, 'utf8') };
    }),
  );
}

function describe(error: GraphQLError): string {
  const code = typeof error.extensions.code === 'string' ? `[${error.extensions.code}] ` : '';
  return `${code}${error.message}`;
}

/** Composes the subgraphs with @apollo/composition (what `rover supergraph compose` runs). */
export function composeSources(subgraphs: SubgraphSource[]): ComposeResult {
  const services = [];
  const errors: string[] = [];
  for (const subgraph of subgraphs) {
    try {
      services.push({ name: subgraph.name, url: subgraph.url, typeDefs: parse(subgraph.sdl) });
    } catch (error) {
      // A syntax error names the file, so the author knows which SDL to open.
      errors.push(`${subgraph.file}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (errors.length > 0) return { ok: false, errors, subgraphs };
  const result = composeServices(services);
  if (result.errors) return { ok: false, errors: result.errors.map(describe), subgraphs };
  return {
    ok: true,
    // A trailing newline keeps the committed file friendly to editors and diffs.
    supergraphSdl: result.supergraphSdl.endsWith('\n') ? result.supergraphSdl : `${result.supergraphSdl}\n`,
    hints: result.hints.map((hint) => `[${hint.definition.code}] ${hint.message}`),
    subgraphs,
  };
}

export async function composeSupergraph(configPath: string): Promise<ComposeResult> {
  return composeSources(await loadSubgraphSources(configPath));
}
