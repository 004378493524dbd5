import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repositoryRoot } from '../../support/codegen';

export const API_EXAMPLES = path.join(repositoryRoot, 'docs/api-examples.md');

/** The shell blocks of docs/api-examples.md marked `<!-- e2e: name -->`, by name. */
export function documentedCommands(): Record<string, string> {
  const text = readFileSync(API_EXAMPLES, 'utf8');
  const commands: Record<string, string> = {};
  for (const [, name, body] of text.matchAll(/<!-- e2e: ([a-z-]+) -->\n```sh\n([\s\S]*?)\n```/g)) commands[name!] = body!;
  return commands;
}
