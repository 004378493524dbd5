import { z } from 'zod';
import { createKafkaClient } from '../../src/bus/kafka';
import { kafkaEnv, loadConfig } from '../../src/config';
import { createLogger } from '../../src/logging';

/** The Kafka the tests run against (the env defaults: the local engine). */
export const kafkaConfig = loadConfig(z.object(kafkaEnv));

/** Fails with a clear message when no broker answers, instead of letting a test time out. */
export async function requireKafka(): Promise<void> {
  const log = createLogger('kafka-check', process.env.TEST_LOG_LEVEL ?? 'error');
  const admin = createKafkaClient(kafkaConfig, log).admin({ retry: { retries: 1 } });
  try {
    await admin.connect();
    await admin.listTopics();
  } catch (error) {
    throw new Error(`Kafka is not reachable at ${kafkaConfig.KAFKA_BROKERS.join(',')} (start it with \`npm run infra:up\`): ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
