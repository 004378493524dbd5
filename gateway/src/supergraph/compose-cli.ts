import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { composeSupergraph } from './compose';

/**
 * `npm run compose`: supergraph.yaml → supergraph.graphql at the repository root.
 * Prints composition hints; on failure prints every error and exits 1 without touching the file.
 */
async function main(): Promise<number> {
  const root = path.resolve(__dirname, '../../..');
  const configPath = path.join(root, 'supergraph.yaml');
  const outputPath = path.join(root, 'supergraph.graphql');
  const result = await composeSupergraph(configPath);
  if (!result.ok) {
    process.stderr.write(`composition failed with ${result.errors.length} error(s):\n`);
    for (const error of result.errors) process.stderr.write(`  - ${error}\n`);
    return 1;
  }
  for (const hint of result.hints) process.stdout.write(`hint: ${hint}\n`);
  await writeFile(outputPath, result.supergraphSdl);
  process.stdout.write(`composed ${result.subgraphs.map((s) => s.name).join(', ')} → ${path.relative(process.cwd(), outputPath) || outputPath}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`compose: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
