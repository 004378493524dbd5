import { randomBytes } from 'node:crypto';
import { ServiceProcess, type ExitStatus, type StopSignal } from '../../../common/test/support/processes';
import { workerPortBase } from '../../support/ports';

/**
 * How far `npm start`'s ports move for this jest worker: its gateway lands on the worker's block (14000, 14100, …), so
 * users, messages and files are the e2e stack's ports and router 4010…simulators 4022 stay inside the block.
 */
export function embeddedPortOffset(): number {
  return workerPortBase() - 4000;
}
// Generous: ready takes seconds on a quiet machine (README), but CI runs it beside two JVMs and the other jest worker.
const READY_TIMEOUT_MS = 120_000;

export interface EmbeddedPlatform {
  process: ServiceProcess;
  /** From spawn to the ready line, as the test saw it. */
  readyInMs: number;
  /** SIGTERM (or SIGINT, what Ctrl-C sends; both drain) and wait; SIGKILL after the timeout. */
  stop(signal?: StopSignal): Promise<ExitStatus>;
  /** SIGKILL: no shutdown at all. */
  kill9(): Promise<ExitStatus>;
}

export interface EmbeddedOptions {
  dataDir: string;
  /** The secrets every service shares; the same ones must be given again for a restart on the same data. */
  secrets: EmbeddedSecrets;
  /** Variables on top (e.g. CHAT4ALL_SERVICES, simulator timings). */
  env?: Record<string, string>;
}

export interface EmbeddedSecrets {
  JWT_SECRET: string;
  IDENTITY_SIGNING_KEY: string;
}

export function freshSecrets(): EmbeddedSecrets {
  return { JWT_SECRET: randomBytes(32).toString('base64url'), IDENTITY_SIGNING_KEY: randomBytes(32).toString('base64url') };
}

/**
 * The embedded platform exactly as `npm start` runs it (`node --import tsx scripts/start.ts`, one process), on a data
 * folder of the caller's and the e2e ports; resolves once it printed its ready line.
 */
export async function startEmbeddedPlatform(options: EmbeddedOptions): Promise<EmbeddedPlatform> {
  const started = Date.now();
  const platform = new ServiceProcess('embedded platform', 'scripts/start.ts', {
    // The test runner's own settings must not leak in: this is the embedded profile on its own folder and ports.
    CHAT4ALL_PROFILE: 'embedded',
    CHAT4ALL_DATA_DIR: options.dataDir,
    CHAT4ALL_PORT_OFFSET: String(embeddedPortOffset()),
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'warn',
    ...options.secrets,
    ...options.env,
  });
  try {
    await platform.waitForLine((line) => line.unparsed === true && String(line.msg).startsWith('Chat4All is ready'), READY_TIMEOUT_MS);
  } catch (error) {
    await platform.kill9();
    throw error;
  }
  return { process: platform, readyInMs: Date.now() - started, stop: (signal) => platform.stop(20_000, signal), kill9: () => platform.kill9() };
}
