import type { z } from 'zod';
import { ConfigError, type Env } from '../config';
import { startService, type RunningService, type ServiceDefinition } from './service';

/** One service of a multi-service process, with the variables it gets on top of the shared ones (e.g. its PORT). */
export interface ServiceEntry {
  // Each entry has its own schema; the runner only hands the definition to `startService`, which is generic over it.
  definition: ServiceDefinition<z.ZodObject>;
  env?: Env;
}

export interface RunningServices {
  /** In start order. */
  services: RunningService[];
  /** Stops every service in reverse order (the last listed, e.g. the gateway, first); true when all stopped cleanly. */
  stop(reason?: string): Promise<boolean>;
}

/** A service that did not start, named, with why. */
export class ServicesStartError extends Error {
  constructor(readonly failures: { name: string; error: unknown }[]) {
    super(failures.map(({ name, error }) => `${name}: ${error instanceof ConfigError ? error.message : `failed to start: ${error instanceof Error ? error.message : String(error)}`}`).join('\n'));
    this.name = 'ServicesStartError';
  }
}

/**
 * Starts several service definitions in this one process (each on the one bootstrap: its own config, logs, port,
 * health and shutdown steps), side by side. If any fails, the ones that started are stopped and the call rejects with
 * every failure. Shared resources between them (the embedded bus) are the factories' business, not the runner's.
 */
export async function startServices(entries: readonly ServiceEntry[], env: Env = process.env): Promise<RunningServices> {
  const results = await Promise.allSettled(entries.map((entry) => startService(entry.definition, { env: { ...env, ...entry.env } })));
  const services = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  let stopping: Promise<boolean> | undefined;
  const stop = (reason = 'stop requested') =>
    (stopping ??= (async () => {
      let clean = true;
      for (const service of [...services].reverse()) clean = (await service.stop(reason)) && clean;
      return clean;
    })());
  const failures = results.flatMap((r, i) => (r.status === 'rejected' ? [{ name: entries[i]!.definition.name, error: r.reason as unknown }] : []));
  if (failures.length > 0) {
    await stop('another service failed to start');
    throw new ServicesStartError(failures);
  }
  return { services, stop };
}

export interface ServicesMainOptions {
  env?: Env;
  /** Runs once every service is ready to serve (e.g. to print where). */
  onReady?(running: RunningServices): void;
}

/**
 * Entry point for a process hosting several services: start them all, then SIGINT/SIGTERM stops them in reverse order
 * and exits 0 when every shutdown was clean (1 otherwise; a second signal exits 1 at once). A service that cannot start
 * stops the others and exits 1 with one line per failure.
 */
export function runServicesMain(entries: readonly ServiceEntry[], options: ServicesMainOptions = {}): void {
  let running: RunningServices | undefined;
  let signalled: NodeJS.Signals | undefined;
  const stopAndExit = (services: RunningServices, reason: string) => void services.stop(reason).then((clean) => process.exit(clean ? 0 : 1));
  // Installed before anything starts, so a Ctrl-C during start-up still drains what did start.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (signalled) process.exit(1);
      signalled = signal;
      if (running) stopAndExit(running, signal);
    });
  }
  startServices(entries, options.env).then(
    (services) => {
      running = services;
      if (signalled) return stopAndExit(services, signalled);
      options.onReady?.(services);
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
