import type { z } from 'zod';
import type { ServiceDefinition } from '../../service/service';
import type { SimulatorConfig } from './config';
import type { SimulatedPlatform } from './platform';
import { seededRandom } from './random';
import { PlatformSimulator } from './server';

export interface SimulatorServiceSpec<S extends z.ZodObject> {
  /** e.g. `whatsapp-simulator`. */
  name: string;
  configSchema: S;
  /** The platform's shapes and ids, and the keys both ends share. */
  platform(config: z.infer<S>): { platform: SimulatedPlatform; token: string; appSecret: string; webhookUrl: string };
}

/** A platform simulator as a service on the shared bootstrap (/healthz, /metrics, graceful stop). */
export function simulatorService<S extends z.ZodObject>(spec: SimulatorServiceSpec<S>): ServiceDefinition<S> {
  return {
    name: spec.name,
    configSchema: spec.configSchema,
    async start({ config: parsed, log, onShutdown }) {
      // The schema spreads `simulatorEnv`; zod's generic cannot say so.
      const config = parsed as z.infer<S> & SimulatorConfig;
      const { platform, token, appSecret, webhookUrl } = spec.platform(parsed);
      const simulator = new PlatformSimulator(platform, {
        token,
        appSecret,
        webhookUrl,
        latencyMinMs: config.SIM_LATENCY_MIN_MS,
        latencyMaxMs: config.SIM_LATENCY_MAX_MS,
        failureRate: config.SIM_FAILURE_RATE,
        failedStatusRate: config.SIM_FAILED_STATUS_RATE,
        deliveredAfterMs: config.SIM_DELIVERED_AFTER_MS,
        readAfterMs: config.SIM_READ_AFTER_MS,
        webhookMaxAttempts: config.SIM_WEBHOOK_MAX_ATTEMPTS,
        webhookRetryMaxMs: config.SIM_WEBHOOK_RETRY_MAX_MS,
        random: config.SIM_SEED === undefined ? Math.random : seededRandom(config.SIM_SEED),
        log,
      });
      onShutdown('webhook dispatcher', () => simulator.close());
      log.info({ platform: platform.name, webhookUrl, failureRate: config.SIM_FAILURE_RATE }, 'platform simulator ready');
      return { handler: simulator.handler };
    },
  };
}
