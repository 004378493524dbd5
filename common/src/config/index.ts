import { z } from 'zod';

/**
 * Configuration comes from environment variables only. Each service declares one
 * zod object whose keys are the variable names; `loadConfig` validates it at start
 * and a problem becomes a single line naming the variable.
 */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly problem: string,
  ) {
    super(`invalid configuration: ${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

export type Env = Record<string, string | undefined>;

export function loadConfig<S extends z.ZodObject>(schema: S, env: Env = process.env): z.infer<S> {
  // Empty strings count as unset: compose files and shells often export `VAR=`.
  const input: Env = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const variable = issue?.path.map(String).join('.') || '(config)';
  const given = issue?.path.length ? input[String(issue.path[0])] : undefined;
  const problem = given === undefined ? `${issue?.message ?? 'invalid'} (not set)` : `${issue?.message ?? 'invalid'} (got "${given}")`;
  throw new ConfigError(variable, problem);
}

// Reusable field builders, so every service spells a port or a list the same way.
export const env = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  int: (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback),
  string: (fallback?: string) => (fallback === undefined ? z.string().min(1) : z.string().min(1).default(fallback)),
  url: (fallback?: string) => (fallback === undefined ? z.url() : z.url().default(fallback)),
  list: (fallback: string) =>
    z
      .string()
      .default(fallback)
      .transform((s) => s.split(',').map((p) => p.trim()).filter(Boolean))
      .pipe(z.array(z.string().min(1)).min(1)),
  bool: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0'])
      .default(fallback ? 'true' : 'false')
      .transform((s) => s === 'true' || s === '1'),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};

/** Variables every service reads: where it listens for health/metrics and how it logs. */
export const serviceEnv = {
  LOG_LEVEL: env.logLevel(),
  SHUTDOWN_TIMEOUT_MS: env.int(10_000, 100),
};

/** Engines, named the same way in every service, the infra scripts and docker-compose. */
export const kafkaEnv = {
  KAFKA_BROKERS: env.list('127.0.0.1:9092'),
  KAFKA_CLIENT_ID: env.string('chat4all'),
  KAFKA_TOPIC_PARTITIONS: env.int(6, 1),
  KAFKA_REPLICATION_FACTOR: env.int(1, 1),
};

export const cassandraEnv = {
  CASSANDRA_CONTACT_POINTS: env.list('127.0.0.1:9042'),
  CASSANDRA_LOCAL_DC: env.string('datacenter1'),
  CASSANDRA_KEYSPACE: z.string().regex(/^[a-z][a-z0-9_]{0,47}$/, 'a lower-case CQL identifier').default('chat4all'),
  CASSANDRA_REPLICATION_FACTOR: env.int(1, 1),
};

export const s3Env = {
  S3_ENDPOINT: env.url('http://127.0.0.1:9000'),
  S3_REGION: env.string('us-east-1'),
  S3_ACCESS_KEY: env.string('chat4all'),
  S3_SECRET_KEY: env.string('chat4all-secret'),
  S3_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{2,62}$/, 'an S3 bucket name').default('chat4all-files'),
};

export const postgresEnv = {
  DATABASE_URL: env.url('postgresql://chat4all@127.0.0.1:5432/chat4all'),
};

export type KafkaConfig = z.infer<z.ZodObject<typeof kafkaEnv>>;
export type CassandraConfig = z.infer<z.ZodObject<typeof cassandraEnv>>;
export type S3Config = z.infer<z.ZodObject<typeof s3Env>>;
export type PostgresConfig = z.infer<z.ZodObject<typeof postgresEnv>>;
export type ServiceConfig = z.infer<z.ZodObject<typeof serviceEnv>>;
