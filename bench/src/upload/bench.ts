import path from 'node:path';
import { contentKey, createMinioClient, metadataKey } from '@chat4all/files';
import { REPO_ROOT } from '../../../common/test/support/processes';
import { runLoadProcess } from '../load/process';
import { MemorySampler, type MemoryPeak } from '../memory';
import { atLeast, atMost, ratio, round, startResult, type BenchResult } from '../results';
import { registerUsers, runTag } from '../seed';
import { sized, type BenchSize } from '../size';
import { startBenchStack } from '../stack';
import type { UploadResult, UploadSpec } from './spec';

/**
 * Issue 7, item 4: one large generated file streamed through the gateway (`uploadFile`, multipart) into S3, against a
 * direct S3 upload of a file of the same size with the same client library the files subgraph uses, in the same
 * run; and the resident memory of the gateway and files subgraph processes while it streams (sampled every 100 ms
 * from /proc/<pid>/status).
 */

const MiB = 2 ** 20;
const SETTINGS: Record<BenchSize, { bytes: number }> = {
  smoke: { bytes: 64 * MiB },
  full: { bytes: 1024 * MiB },
};

const mib = (bytes: number) => round(bytes / MiB, 1);

export async function runUploadBench(size: BenchSize): Promise<BenchResult> {
  const { bytes } = sized(size, SETTINGS);
  const finish = startResult('upload', size);
  const stack = await startBenchStack();
  const s3 = createMinioClient(stack.s3);
  const entry = path.join(REPO_ROOT, 'bench/src/upload/upload-load.ts');
  const timeoutMs = 15 * 60_000;
  const removals: string[] = [];
  try {
    const [uploader] = await registerUsers(stack.graphqlUrl, [`up-${runTag()}`]);
    const directKey = `bench/direct-${runTag()}`;
    removals.push(directKey);
    const direct = await runLoadProcess<UploadSpec, UploadResult>(entry, { target: 's3', bytes, s3: stack.s3, key: directKey }, timeoutMs);

    const pids = { gateway: stack.pids.gateway, files: stack.pids.files };
    if (!pids.gateway || !pids.files) throw new Error('no pid for the gateway or the files subgraph');
    const sampler = new MemorySampler({ gateway: pids.gateway, files: pids.files });
    let memory: Record<string, MemoryPeak>;
    let gateway: UploadResult;
    try {
      gateway = await runLoadProcess<UploadSpec, UploadResult>(entry, { target: 'gateway', bytes, graphqlUrl: stack.graphqlUrl, token: uploader!.token }, timeoutMs);
    } finally {
      memory = sampler.stop();
    }
    removals.push(contentKey(gateway.stored), metadataKey(gateway.stored));

    const ratios = { 'gateway/direct throughput': ratio(gateway.mibPerSecond, direct.mibPerSecond) };
    const growth = (name: string) => mib(memory[name]!.growthBytes);
    return finish({
      parameters: { bytes, sampleEveryMs: 100 },
      measurements: { direct, gateway, memory },
      ratios,
      targets: [
        atLeast('gateway upload throughput / direct S3 PUT throughput', ratios['gateway/direct throughput'], 0.5),
        atMost('gateway RSS growth during the upload (MiB)', growth('gateway'), 100),
        atMost('files subgraph RSS growth during the upload (MiB)', growth('files'), 100),
      ],
      table: {
        columns: ['path', 'MiB', 'seconds', 'MiB/s', 'gateway RSS baseline → peak (MiB)', 'files RSS baseline → peak (MiB)'],
        rows: [
          ['direct S3 upload (minio putObject, reference)', mib(bytes), round(direct.seconds, 1), round(direct.mibPerSecond, 1), '-', '-'],
          [
            'through the gateway (uploadFile multipart)',
            mib(bytes),
            round(gateway.seconds, 1),
            round(gateway.mibPerSecond, 1),
            `${mib(memory.gateway!.baselineBytes)} → ${mib(memory.gateway!.peakBytes)}`,
            `${mib(memory.files!.baselineBytes)} → ${mib(memory.files!.peakBytes)}`,
          ],
        ],
      },
      notes: [
        `One ${mib(bytes)} MiB generated file per path (streamed from memory, never written to disk by the client), uploaded from a separate process; both stored in S3Proxy on this machine, then deleted.`,
        'RSS is VmRSS from /proc/<pid>/status, sampled every 100 ms during the gateway upload; VmHWM (peak since start) is in the JSON.',
      ],
    });
  } finally {
    for (const key of removals) await s3.removeObject(stack.s3.S3_BUCKET, key).catch(() => undefined);
    await stack.stop();
  }
}
