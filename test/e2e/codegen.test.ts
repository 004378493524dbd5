import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { apiSchemaSdl } from '../../gateway/src/supergraph/api-schema';
import { generateInMemory, repositoryRoot } from '../support/codegen';

const output = 'test/e2e/generated/';

jest.setTimeout(60_000);

describe('typed client documents', () => {
  it('match the operations and the API schema (run `npm run codegen` and commit the result if this fails)', async () => {
    const files = await generateInMemory(output);
    const names = files.map((f) => path.basename(f.filename)).sort();
    // No file left behind by an older codegen run either.
    expect(readdirSync(path.join(repositoryRoot, output)).sort()).toEqual(names);
    expect(names).toContain('graphql.ts');
    for (const file of files) expect(file.content).toBe(readFileSync(path.join(repositoryRoot, file.filename), 'utf8'));
    const operations = readdirSync(path.join(__dirname, 'operations')).filter((f) => f.endsWith('.graphql'));
    const types = files.find((f) => f.filename.endsWith('graphql.ts'))?.content ?? '';
    for (const operation of operations) expect(types).toContain(`export const ${path.basename(operation, '.graphql')}Document`);
  });

  it('types them against the API schema: no federation machinery, no @inaccessible fields', () => {
    const api = apiSchemaSdl();
    expect(api).toContain('sendMessage(');
    expect(api).toContain('uploadFile(file: Upload!): File!');
    for (const internal of ['join__', 'link__', '@inaccessible', '_entities', '_service']) expect(api).not.toContain(internal);
    // The fields other services read (File.ownerId, Conversation.memberIds, User.conversationIds); `memberIds` stays an argument name.
    expect(api).not.toMatch(/^\s+(ownerId|memberIds|conversationIds):/m);
    expect(api).toMatch(/^\s+sha256: String!$/m);
  });
});
