import { z } from 'zod';
import { env } from '../../config';

const rate = (fallback: number) => z.coerce.number().min(0).max(1).default(fallback);

/**
 * Behaviour of a platform simulator (latency, failures, webhook timing). Its platform keys (token, app secret, account
 * id, webhook URL) are the same variables the connector reads, so one environment configures both ends.
 */
export const simulatorEnv = {
  SIM_LATENCY_MIN_MS: env.int(5),
  SIM_LATENCY_MAX_MS: env.int(30),
  /** Fraction of send calls answered with HTTP 500/503 and the platform's error JSON. */
  SIM_FAILURE_RATE: rate(0),
  /** Fraction of accepted messages reported `failed` by webhook (only on platforms that do that). */
  SIM_FAILED_STATUS_RATE: rate(0),
  SIM_DELIVERED_AFTER_MS: env.int(20),
  SIM_READ_AFTER_MS: env.int(40),
  SIM_WEBHOOK_MAX_ATTEMPTS: env.int(60, 1),
  SIM_WEBHOOK_RETRY_MAX_MS: env.int(2_000, 1),
  /** Makes injected failures repeatable; random when unset. */
  SIM_SEED: z.coerce.number().int().optional(),
};

export type SimulatorConfig = z.infer<z.ZodObject<typeof simulatorEnv>>;
