import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

/** The repository root, where codegen.ts lives. */
export const repositoryRoot = path.join(__dirname, '../..');

export interface GeneratedFile {
  /** Relative to the repository root, as codegen.ts names it. */
  filename: string;
  content: string;
}

/**
 * What `npm run codegen` would write for one `generates` entry of the root codegen.ts, generated in memory (nothing is
 * written). Staleness tests compare it with the committed files.
 *
 * @graphql-codegen/cli loads ESM-only modules, which jest's CommonJS runtime cannot; tsx runs it in a child process.
 */
export async function generateInMemory(output: string): Promise<GeneratedFile[]> {
  const script = `
import { generate } from '@graphql-codegen/cli';
import config from './codegen';
const output = ${JSON.stringify(output)};
const entry = config.generates[output];
if (!entry) throw new Error('codegen.ts has no entry for ' + output);
generate({ ...config, cwd: process.cwd(), silent: true, generates: { [output]: entry } }, false).then((files) => {
  process.stdout.write(JSON.stringify(files.map((f) => ({ filename: f.filename, content: f.content }))));
});
`;
  const { stdout } = await promisify(execFile)(path.join(repositoryRoot, 'node_modules/.bin/tsx'), ['-e', script], {
    cwd: repositoryRoot,
    maxBuffer: 64 * 1024 * 1024,
  });
  const files = JSON.parse(stdout) as GeneratedFile[];
  return files.map((f) => ({ ...f, filename: path.relative(repositoryRoot, path.resolve(repositoryRoot, f.filename)) }));
}
