import { allEngines, type Engine } from './engines';
import { join } from 'node:path';
import { sleep, tailFile, withLockFile } from './process';
import { loadSettings, type Settings } from './settings';
import { MissingToolError, requireJava17, requireMaven } from './tools';

/**
 * `tsx infra/src/cli.ts fetch|up|down|status`: the local engines without Docker.
 * Exit code 0 means the command did what it says (for `status`: every engine is ready).
 */
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const pad = (s: string, n: number) => s.padEnd(n);

class EngineFailure extends Error {
  constructor(
    readonly engine: Engine,
    message: string,
    /** False when the engine never ran this time: its log would be the previous run's. */
    readonly showLog = true,
  ) {
    super(message);
  }
}

async function fetchAll(engines: Engine[]): Promise<void> {
  const toFetch = engines.filter((e) => e.fetch && !e.fetched?.());
  if (toFetch.length > 0) requireMaven();
  // One at a time: parallel Maven runs on a cold ~/.m2 race on the same files.
  for (const e of engines) {
    if (!e.fetch) continue;
    const t0 = Date.now();
    const ran = await e.fetch();
    console.log(`${pad(e.name, 10)} ${ran ? `jars fetched in ${seconds(Date.now() - t0)}` : 'jars already fetched'}`);
  }
}

async function waitUntilReady(e: Engine, settings: Settings, startedAt: number): Promise<string> {
  const deadline = Date.now() + settings.readyTimeoutMs;
  let last = 'not asked yet';
  while (Date.now() < deadline) {
    const r = await e.isReady();
    if (r.ready) return r.detail;
    last = r.reason;
    if (e.managed && e.pid() === undefined) throw new EngineFailure(e, `${e.name}: process exited before it was ready (last answer: ${last})`);
    await sleep(500);
  }
  throw new EngineFailure(e, `${e.name}: not ready after ${seconds(Date.now() - startedAt)} (last answer: ${last})`);
}

async function upOne(e: Engine, settings: Settings, t0: number): Promise<void> {
  const pid = e.managed ? e.pid() : undefined;
  if (pid !== undefined) {
    console.log(`${pad(e.name, 10)} already running (pid ${pid}), waiting for it`);
  } else {
    try {
      await e.start();
    } catch (err) {
      throw new EngineFailure(e, `${e.name}: start failed: ${err instanceof Error ? err.message : String(err)}`, false);
    }
  }
  const detail = await waitUntilReady(e, settings, t0);
  console.log(`${pad(e.name, 10)} ready in ${seconds(Date.now() - t0)} on port ${e.port} (${detail})`);
}

async function up(settings: Settings): Promise<number> {
  const t0 = Date.now();
  const engines = allEngines(settings);
  const before = await Promise.all(engines.map((e) => e.isReady()));
  const missing = engines.filter((_, i) => !before[i]?.ready);
  if (missing.length === 0) {
    console.log('all engines already up: nothing to do');
    return status(settings);
  }
  for (const e of engines.filter((x) => !missing.includes(x))) console.log(`${pad(e.name, 10)} already up`);
  if (missing.some((e) => e.managed)) requireJava17();
  await fetchAll(missing.filter((e) => e.managed && e.pid() === undefined));
  const results = await Promise.allSettled(missing.map((e) => upOne(e, settings, t0)));
  let failed = false;
  for (const r of results) {
    if (r.status === 'fulfilled') continue;
    failed = true;
    const err: unknown = r.reason;
    console.error(err instanceof Error ? err.message : String(err));
    if (err instanceof EngineFailure && err.showLog) {
      console.error(`---- last lines of ${err.engine.logFile} ----\n${tailFile(err.engine.logFile, 40)}\n----`);
    }
  }
  console.log(failed ? `up failed after ${seconds(Date.now() - t0)}` : `all engines ready in ${seconds(Date.now() - t0)}`);
  return failed ? 1 : 0;
}

async function down(settings: Settings): Promise<number> {
  const engines = allEngines(settings);
  const results = await Promise.all(engines.map(async (e) => [e, await e.stop()] as const));
  for (const [e, outcome] of results) console.log(`${pad(e.name, 10)} ${outcome}`);
  return 0;
}

async function status(settings: Settings): Promise<number> {
  const engines = allEngines(settings);
  const rows = await Promise.all(engines.map(async (e) => ({ e, r: await e.isReady(), pid: e.pid() })));
  for (const { e, r, pid } of rows) {
    const state = r.ready ? 'up' : pid !== undefined ? 'starting' : 'down';
    const readiness = r.ready ? `ready (${r.detail})` : `not ready (${r.reason})`;
    console.log(`${pad(e.name, 10)} ${pad(state, 9)} pid ${pad(pid === undefined ? '-' : String(pid), 8)} port ${pad(String(e.port), 6)} ${readiness}`);
  }
  return rows.every((row) => row.r.ready) ? 0 : 1;
}

async function main(command: string | undefined): Promise<number> {
  const settings = loadSettings();
  switch (command) {
    case 'fetch':
      requireJava17();
      requireMaven();
      await fetchAll(allEngines(settings));
      return 0;
    case 'up':
    case 'down': {
      const lock = join(settings.localDir, 'run', 'infra.lock');
      const waitMs = settings.readyTimeoutMs + settings.stopTimeoutMs;
      const onWait = (pid: number) => console.log(`waiting for another infra command (pid ${pid}) to finish`);
      return withLockFile(lock, waitMs, () => (command === 'up' ? up(settings) : down(settings)), onWait);
    }
    case 'status':
      return status(settings);
    default:
      console.error('usage: cli.ts fetch|up|down|status');
      return 2;
  }
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof MissingToolError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
