// `npm test`: brings the local engines up when they are not (idempotent), applies migrations,
// then runs every jest project: unit, contract and integration suites. Extra args go to jest.
import fs from 'node:fs';
import path from 'node:path';
import { run, step } from './run';

interface JestSummary {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTotalTestSuites: number;
}

async function main(): Promise<void> {
  const jestArgs = process.argv.slice(2);
  await step('typecheck (npm run typecheck)', 'npm', ['run', '--silent', 'typecheck']);
  await step('lint (npm run lint)', 'npm', ['run', '--silent', 'lint']);
  await step('local engines (npm run infra:up)', 'npm', ['run', '--silent', 'infra:up']);
  await step('migrations (npm run migrate)', 'npm', ['run', '--silent', 'migrate']);

  const resultsFile = path.resolve(process.env.CHAT4ALL_LOCAL_DIR ?? '.local', 'jest-results.json');
  fs.mkdirSync(path.dirname(resultsFile), { recursive: true });
  fs.rmSync(resultsFile, { force: true });
  process.stdout.write('\n== tests (jest)\n');
  const code = await run('npx', ['jest', '--maxWorkers=2', '--json', `--outputFile=${resultsFile}`, ...jestArgs]);
  if (fs.existsSync(resultsFile)) {
    const summary = JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as JestSummary;
    // The plain closing line CI tools read, after jest's own summary.
    const skipped = summary.numPendingTests > 0 ? `, ${summary.numPendingTests} skipped` : '';
    process.stdout.write(`\ntests: ${summary.numPassedTests} passed, ${summary.numFailedTests} failed${skipped}\n`);
  }
  process.exit(code);
}

void main();
