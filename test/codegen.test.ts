import { readFileSync } from 'node:fs';
import path from 'node:path';
import { generateInMemory, repositoryRoot } from './support/codegen';

/** Each subgraph's resolver types, with a marker that proves the file is about that subgraph's own SDL. */
const resolverTypes = [
  { output: 'subgraphs/users/src/generated/resolvers-types.ts', marker: 'AuthPayloadResolvers' },
  { output: 'subgraphs/messages/src/generated/resolvers-types.ts', marker: 'MessageStatusChangeResolvers' },
  { output: 'subgraphs/files/src/generated/resolvers-types.ts', marker: 'UploadArgument' },
];

jest.setTimeout(120_000);

describe.each(resolverTypes)('generated resolver types $output', ({ output, marker }) => {
  it('match the subgraph schema (run `npm run codegen` and commit the result if this fails)', async () => {
    const [file, ...others] = await generateInMemory(output);
    expect(others).toEqual([]);
    expect(file?.content).toContain(marker);
    expect(file?.content).toBe(readFileSync(path.join(repositoryRoot, output), 'utf8'));
  });
});
