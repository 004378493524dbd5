import { z } from 'zod';
import { cassandraEnv, loadConfig, s3Env, type CassandraConfig, type S3Config } from '@chat4all/common';
import { E2E_BUCKET, E2E_KEYSPACE } from '../../test/e2e/support/engines';
import { startStack, type E2eStack } from '../../test/e2e/support/stack';

export interface BenchStack extends E2eStack {
  /** The keyspace and bucket the stack's services use, for seeding through the stores. */
  cassandra: CassandraConfig;
  s3: S3Config;
}

/**
 * The end-to-end stack (users, messages, files, gateway as their own processes on the real engines, ports
 * 14000–14003; run under `flock /work/e2e.lock`), quiet: services log warnings only unless E2E_LOG_LEVEL says otherwise.
 */
export async function startBenchStack(): Promise<BenchStack> {
  process.env.E2E_LOG_LEVEL ??= 'warn';
  // As the image runs them (and as the reference gateways run): graphql-js's development checks cost ~5% of a subgraph.
  process.env.E2E_NODE_ENV ??= 'production';
  const stack = await startStack();
  const cassandra = { ...loadConfig(z.object(cassandraEnv)), CASSANDRA_KEYSPACE: E2E_KEYSPACE };
  const s3 = { ...loadConfig(z.object(s3Env)), S3_BUCKET: E2E_BUCKET };
  return { ...stack, cassandra, s3 };
}
