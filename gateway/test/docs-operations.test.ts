import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { buildSchema, parse, validate } from 'graphql';
import { apiSchemaSdl } from '../src/supergraph/api-schema';

/**
 * Every GraphQL operation the user docs show is valid against the API the gateway serves, so an example never goes
 * stale when the schema changes. (The curl commands of docs/api-examples.md are also run end to end, in
 * test/e2e/supergraph.int.test.ts.)
 */
const root = path.resolve(__dirname, '../..');
const docs = ['README.md', ...readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

interface Example {
  file: string;
  line: number;
  document: string;
}

/** The operations in a Markdown file: ```graphql blocks, JSON `"query":"…"` strings, and ts `query: \`…\`` strings. */
function examplesIn(file: string): Example[] {
  const text = readFileSync(path.join(root, file), 'utf8');
  const lineAt = (index: number) => text.slice(0, index).split('\n').length;
  const examples: Example[] = [];
  for (const block of text.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)) {
    const [, language, body] = block;
    const start = block.index + block[0].indexOf('\n') + 1;
    if (language === 'graphql') examples.push({ file, line: lineAt(start), document: body! });
    for (const json of body!.matchAll(/"query":"((?:[^"\\]|\\.)*)"/g)) {
      examples.push({ file, line: lineAt(start + json.index), document: JSON.parse(`"${json[1]}"`) as string });
    }
    for (const template of body!.matchAll(/\bquery: `([^`]*)`/g)) examples.push({ file, line: lineAt(start + template.index), document: template[1]! });
  }
  return examples;
}

describe('GraphQL examples in the docs', () => {
  const schema = buildSchema(apiSchemaSdl());
  const examples = docs.flatMap(examplesIn);

  it('finds the examples (README: register, upload, history, subscription)', () => {
    expect(examples.filter((e) => e.file === 'README.md')).toHaveLength(4);
    expect(examples.filter((e) => e.file === 'docs/api-examples.md').length).toBeGreaterThanOrEqual(5);
  });

  it.each(examples.map((e) => [`${e.file}:${e.line}`, e] as const))('%s is valid against the API schema', (_where, example) => {
    expect(validate(schema, parse(example.document)).map((e) => e.message)).toEqual([]);
  });
});
