import { readFileSync } from 'node:fs';
import { Supergraph } from '@apollo/federation-internals';
import { printSchema } from 'graphql';
import { defaultSupergraphPath } from './load';

/**
 * The schema clients see through the gateway, as SDL: the supergraph without its federation machinery (join__/link
 * directives and types) and without @inaccessible fields. Client code generation types operations against this.
 */
export function apiSchemaSdl(supergraphSdl: string = readFileSync(defaultSupergraphPath, 'utf8')): string {
  return printSchema(Supergraph.build(supergraphSdl).apiSchema().toGraphQLJSSchema());
}
