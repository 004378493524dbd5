import { runGatewayBench } from './gateway/bench';
import { runHistoryBench } from './history/bench';
import { runPipelineBench } from './pipeline/bench';
import { runSubscriptionsBench } from './subscriptions/bench';
import { runUploadBench } from './upload/bench';
import { resultsDir, writeResult, type BenchResult } from './results';
import { benchSize, type BenchSize } from './size';

/**
 * `npm run bench [-- name …]`: runs the named benchmarks (all by default) one after another at BENCH_SIZE (full unless
 * set to smoke) and writes <name>.json and summary.md into the results folder. Each benchmark starts and stops what
 * it needs, on the fixed e2e ports: nothing else may use them meanwhile.
 */
const BENCHMARKS: Record<string, (size: BenchSize) => Promise<BenchResult>> = {
  pipeline: runPipelineBench,
  gateway: runGatewayBench,
  history: runHistoryBench,
  upload: runUploadBench,
  subscriptions: runSubscriptionsBench,
};

async function main(): Promise<void> {
  const size = benchSize();
  const asked = process.argv.slice(2);
  const unknown = asked.filter((name) => !(name in BENCHMARKS));
  if (unknown.length > 0) throw new Error(`unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}`);
  const names = asked.length > 0 ? asked : Object.keys(BENCHMARKS);
  const dir = resultsDir(size);
  for (const name of names) {
    console.log(`bench: ${name} (${size}) …`);
    const result = await BENCHMARKS[name]!(size);
    const file = writeResult(result, dir);
    console.log(`bench: ${name} done in ${result.durationSeconds} s -> ${file}`);
    console.table(result.table.rows.map((row) => Object.fromEntries(result.table.columns.map((c, i) => [c, row[i]]))));
    console.log(result.ratios);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
