import path from 'node:path';
import { REPO_ROOT } from '../../../common/test/support/processes';
import { runLoadProcess } from './process';
import type { ArrivalLoadSpec, HttpLoadResult, HttpLoadSpec } from './spec';

/** One autocannon run (warm-up, then the measured window) from its own process; see http-load.ts. */
export function runHttpLoad(spec: HttpLoadSpec): Promise<HttpLoadResult> {
  const timeoutMs = (spec.warmupSeconds + spec.durationSeconds) * 1000 + 60_000;
  return runLoadProcess<HttpLoadSpec, HttpLoadResult>(path.join(REPO_ROOT, 'bench/src/load/http-load.ts'), spec, timeoutMs);
}

/** One open-model run at a constant arrival rate (warm-up, then the measured window) from its own process; see arrival-load.ts. */
export function runArrivalLoad(spec: ArrivalLoadSpec): Promise<HttpLoadResult> {
  const timeoutMs = (spec.warmupSeconds + spec.durationSeconds) * 1000 + 60_000;
  return runLoadProcess<ArrivalLoadSpec, HttpLoadResult>(path.join(REPO_ROOT, 'bench/src/load/arrival-load.ts'), spec, timeoutMs);
}
