import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { composeSupergraph } from '../src/supergraph/compose';

const root = path.resolve(__dirname, '../..');

describe('supergraph composition', () => {
  it('the committed supergraph.graphql is what supergraph.yaml composes to (run `npm run compose` when this fails)', async () => {
    const result = await composeSupergraph(path.join(root, 'supergraph.yaml'));
    if (!result.ok) throw new Error(`composition failed:\n${result.errors.join('\n')}`);
    const committed = await readFile(path.join(root, 'supergraph.graphql'), 'utf8');
    expect(committed).toBe(result.supergraphSdl);
    expect(result.subgraphs.map((s) => s.name).sort()).toEqual(['files', 'messages', 'users']);
  });

  describe('with subgraphs in a temporary folder', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'chat4all-compose-'));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    async function writeSubgraphs(a: string, b: string): Promise<string> {
      await writeFile(path.join(dir, 'a.graphql'), a);
      await writeFile(path.join(dir, 'b.graphql'), b);
      const config = [
        'federation_version: =2.7.0',
        'subgraphs:',
        '  a:',
        '    routing_url: http://127.0.0.1:5001/graphql',
        '    schema: { file: ./a.graphql }',
        '  b:',
        '    routing_url: http://127.0.0.1:5002/graphql',
        '    schema: { file: ./b.graphql }',
      ].join('\n');
      const configPath = path.join(dir, 'supergraph.yaml');
      await writeFile(configPath, config);
      return configPath;
    }

    const link = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])\n';

    it('composes compatible subgraphs', async () => {
      const configPath = await writeSubgraphs(
        `${link}type Thing @key(fields: "id") { id: ID! name: String! }\ntype Query { thing(id: ID!): Thing }`,
        `${link}type Thing @key(fields: "id") { id: ID! size: Int! }\ntype Query { things: [Thing!]! }`,
      );
      const result = await composeSupergraph(configPath);
      if (!result.ok) throw new Error(result.errors.join('\n'));
      expect(result.supergraphSdl).toContain('size: Int! @join__field(graph: B)');
      expect(result.supergraphSdl).toContain('url: "http://127.0.0.1:5001/graphql"');
    });

    it('fails with a clear error when subgraphs disagree on a field type', async () => {
      const configPath = await writeSubgraphs(
        `${link}type Thing @key(fields: "id") { id: ID! name: String! @shareable }\ntype Query { thing(id: ID!): Thing }`,
        `${link}type Thing @key(fields: "id") { id: ID! name: Int! @shareable }\ntype Query { things: [Thing!]! }`,
      );
      const result = await composeSupergraph(configPath);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.errors.join('\n')).toMatch(/FIELD_TYPE_MISMATCH.*"Thing\.name".*String!.*Int!/s);
    });

    it('names the file when an SDL does not parse', async () => {
      const configPath = await writeSubgraphs(`${link}type Query { broken(: String }`, `${link}type Query { ok: Int }`);
      const result = await composeSupergraph(configPath);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.errors[0]).toContain(path.join(dir, 'a.graphql'));
      expect(result.errors[0]).toMatch(/Syntax Error/);
    });
  });
});
