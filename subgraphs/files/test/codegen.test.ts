import { readFileSync } from 'node:fs';
import path from 'node:path';
import { generateInMemory, repositoryRoot } from '../../../test/support/codegen';

const output = 'subgraphs/files/src/generated/resolvers-types.ts';

jest.setTimeout(60_000);

describe('generated resolver types', () => {
  it('match schema.graphql (run `npm run codegen` and commit the result if this fails)', async () => {
    const [file, ...others] = await generateInMemory(output);
    expect(others).toEqual([]);
    expect(file?.content).toContain('UploadArgument');
    expect(file?.content).toBe(readFileSync(path.join(repositoryRoot, output), 'utf8'));
  });
});
