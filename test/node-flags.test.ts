// The V8 flags our service processes run with (common/src/service/node-flags.ts) reach every way of starting them, and
// V8 honours them.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SERVICE_NODE_FLAGS, serviceNodeOptions } from '@chat4all/common';

const root = join(__dirname, '..');
const run = promisify(execFile);

/**
 * The young generation's capacity, in MiB, after a burst of short-lived allocations: V8 grows it up to twice the
 * semi-space cap (16 MiB by default on 64-bit, so 32 MiB at most).
 */
const YOUNG_GENERATION_PROBE = `
  let kept = [];
  for (let i = 0; i < 3e6; i++) { kept.push({ i, s: 'x' + i }); if (kept.length > 200000) kept = []; }
  const space = require('node:v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  process.stdout.write(String(space.space_size / 1048576));
`;

async function youngGenerationMiB(nodeOptions: string | undefined): Promise<number> {
  const env = { ...process.env };
  if (nodeOptions === undefined) delete env.NODE_OPTIONS;
  else env.NODE_OPTIONS = nodeOptions;
  const { stdout } = await run(process.execPath, ['-e', YOUNG_GENERATION_PROBE], { env });
  return Number(stdout);
}

describe('service node flags', () => {
  it('let the young generation grow past V8 defaults when launched with serviceNodeOptions', async () => {
    expect(await youngGenerationMiB(undefined)).toBeLessThanOrEqual(32);
    expect(await youngGenerationMiB(serviceNodeOptions(undefined))).toBe(64);
  }, 30_000);

  it("leave the last word to the operator's own NODE_OPTIONS", async () => {
    expect(serviceNodeOptions('  --max-old-space-size=512 ')).toBe(`${SERVICE_NODE_FLAGS.join(' ')} --max-old-space-size=512`);
    expect(await youngGenerationMiB(serviceNodeOptions('--max-semi-space-size=8'))).toBeLessThanOrEqual(16);
  }, 30_000);

  it('are the ones `npm start` runs with', () => {
    const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.start).toBe(`node ${SERVICE_NODE_FLAGS.join(' ')} --import tsx scripts/start.ts`);
  });

  it("are the image's NODE_OPTIONS", () => {
    const env = readFileSync(join(root, 'Dockerfile'), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('ENV NODE_OPTIONS='));
    expect(env).toEqual([`ENV NODE_OPTIONS="${SERVICE_NODE_FLAGS.join(' ')}"`]);
  });
});
