import type http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Registry } from 'prom-client';
import type { z } from 'zod';
import { ConfigError, loadConfig, type Env } from '../config';
import { createLogger, type Logger } from '../logging';
import { closeServer, createOpsServer, listen, type RequestHandler } from './http';
import { createMetricsRegistry } from './metrics';
import type { ReadinessCheck } from './readiness';
import { ShutdownSequence } from './shutdown';

/** What every service's config must carry for the bootstrap itself. */
export interface BootstrapConfig {
  PORT: number;
  HOST: string;
  LOG_LEVEL: string;
  SHUTDOWN_TIMEOUT_MS: number;
  HTTP_REQUEST_TIMEOUT_MS: number;
  HTTP_HEADERS_TIMEOUT_MS: number;
}

export interface ServiceContext<C> {
  config: C;
  log: Logger;
  metrics: Registry;
  /** Register how to stop what `start` started; steps run in reverse order of registration. */
  onShutdown(name: string, run: () => Promise<void> | void): void;
  /** Register a dependency that /readyz must find answering. */
  addReadinessCheck(name: string, check: ReadinessCheck): void;
}

export interface ServiceDefinition<S extends z.ZodObject> {
  name: string;
  configSchema: S;
  /**
   * Starts the service's work; may return the HTTP handler for its own routes, and an `upgrade` listener for
   * protocol upgrades on the same port (the gateway's graphql-ws). Without one, upgrade requests are refused.
   */
  start(context: ServiceContext<z.infer<S>>): Promise<{ handler?: RequestHandler; upgrade?: UpgradeListener } | void>;
}

/** Node's `upgrade` event listener (the request, its socket and the first bytes after the headers). */
export type UpgradeListener = (request: http.IncomingMessage, socket: Duplex, head: Buffer) => void;

export interface RunningService {
  port: number;
  server: http.Server;
  log: Logger;
  /** Same sequence as SIGTERM, without exiting the process. */
  stop(reason?: string): Promise<boolean>;
}

export interface RunOptions {
  env?: Env;
  /** Install SIGTERM/SIGINT handlers that stop the service and exit (on for `main.ts`, off in tests). */
  handleSignals?: boolean;
  host?: string;
}

/**
 * The one bootstrap every service uses: validated config, JSON logs, health/readiness/metrics,
 * graceful shutdown. A bad configuration stops the process with one line naming the variable.
 */
export async function startService<S extends z.ZodObject>(
  definition: ServiceDefinition<S>,
  options: RunOptions = {},
): Promise<RunningService> {
  const config = loadConfig(definition.configSchema, options.env ?? process.env) as z.infer<S> & BootstrapConfig;
  const log = createLogger(definition.name, config.LOG_LEVEL);
  const metrics = createMetricsRegistry(definition.name);
  const shutdown = new ShutdownSequence(log, config.SHUTDOWN_TIMEOUT_MS);
  const checks: Record<string, ReadinessCheck> = {};

  const started = await definition.start({
    config,
    log,
    metrics,
    onShutdown: (name, run) => shutdown.add(name, run),
    addReadinessCheck: (name, check) => {
      checks[name] = check;
    },
  });

  const server = createOpsServer({
    metrics,
    checks,
    isDraining: () => shutdown.started,
    handler: started ? started.handler : undefined,
  });
  if (started && started.upgrade) server.on('upgrade', started.upgrade);
  server.requestTimeout = config.HTTP_REQUEST_TIMEOUT_MS;
  server.headersTimeout = config.HTTP_HEADERS_TIMEOUT_MS;
  const port = await listen(server, config.PORT, options.host ?? config.HOST);
  // Registered last so it runs first: stop taking new requests before consumers and connections close.
  shutdown.add('http server', () => closeServer(server));
  log.info({ port, host: options.host ?? config.HOST }, 'service started');

  if (options.handleSignals) {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        void shutdown.run(signal).then((clean) => {
          log.info({ clean }, 'stopped');
          process.exit(clean ? 0 : 1);
        });
      });
    }
  }

  return { port, server, log, stop: (reason = 'stop requested') => shutdown.run(reason) };
}

/** Entry point for `main.ts`: start with signal handling, or exit 1 with one clear line. */
export function runServiceMain<S extends z.ZodObject>(definition: ServiceDefinition<S>): void {
  startService(definition, { handleSignals: true }).catch((error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`${definition.name}: ${error.message}\n`);
    } else {
      process.stderr.write(`${definition.name}: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    }
    process.exit(1);
  });
}

/** Thrown when a dependency a service needs is not in place (e.g. migrations not applied). */
export class StartupError extends Error {
  override name = 'StartupError';
}

/** Services verify their schema at start instead of failing on the first request. */
export async function requireSchema(area: string, verify: () => Promise<string[]>): Promise<void> {
  const missing = await verify();
  if (missing.length > 0) {
    throw new StartupError(`${area} is not migrated: missing ${missing.join(', ')} (run \`npm run migrate\`)`);
  }
}
