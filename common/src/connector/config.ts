import type { z } from 'zod';
import { identityEnv } from '../auth/config';
import { env } from '../config';

/**
 * Variables of every channel connector, spread beside `kafkaEnv` and `workerEnv` (whose WORKER_MAX_ATTEMPTS and
 * WORKER_RETRY_* bound the retries of a failing send). The platform's own URL, token and app secret are per channel.
 */
export const connectorEnv = {
  /** A platform call without an answer after this long counts as a failed attempt. */
  SEND_TIMEOUT_MS: env.int(10_000, 100),
  /** Consecutive failed platform calls that open the platform's circuit (messages then wait). */
  CIRCUIT_FAILURE_THRESHOLD: env.int(5, 1),
  /** How long an open circuit waits before letting one probe call through. */
  CIRCUIT_COOLDOWN_MS: env.int(10_000, 10),
  /** Webhook events stamped further than this from now are refused as stale (replay protection). */
  WEBHOOK_REPLAY_WINDOW_SECONDS: env.int(300, 1),
  /** Most webhook event ids remembered for replay detection. */
  WEBHOOK_DEDUPE_MAX_ENTRIES: env.int(100_000, 1),
  /** Largest webhook body read; a bigger one is refused without being buffered. */
  WEBHOOK_MAX_BODY_BYTES: env.int(1024 * 1024, 1024),
  /** Where file links come from: the files subgraph, asked with this service's signed identity. */
  SUBGRAPH_FILES_URL: env.url('http://127.0.0.1:4003/graphql'),
  ...identityEnv,
};

export type ConnectorConfig = z.infer<z.ZodObject<typeof connectorEnv>>;
