import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const root = path.join(__dirname, '../../..');
const output = 'subgraphs/files/src/generated/resolvers-types.ts';

jest.setTimeout(60_000);

// @graphql-codegen/cli loads ESM-only modules, which jest's CommonJS runtime cannot; tsx runs it in a child process,
// generating in memory (nothing is written) only this subgraph's entry of the root codegen.ts.
const script = `
import { generate } from '@graphql-codegen/cli';
import config from './codegen';
const entry = config.generates[${JSON.stringify(output)}];
if (!entry) throw new Error('codegen.ts has no entry for ${output}');
generate({ ...config, cwd: process.cwd(), silent: true, generates: { ${JSON.stringify(output)}: entry } }, false).then((files) => {
  process.stdout.write(files[0].content);
});
`;

describe('generated resolver types', () => {
  it('match schema.graphql (run `npm run codegen` and commit the result if this fails)', async () => {
    const { stdout } = await promisify(execFile)(path.join(root, 'node_modules/.bin/tsx'), ['-e', script], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
    expect(stdout).toContain('UploadArgument');
    expect(stdout).toBe(readFileSync(path.join(root, output), 'utf8'));
  });
});
