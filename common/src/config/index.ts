import path from 'node:path';
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

// Variables whose values are credentials (JWT_SECRET, BLOB_URL_SECRET, IDENTITY_SIGNING_KEY, S3_SECRET_KEY, tokens…).
const CREDENTIAL_NAME = /SECRET|TOKEN|PASSWORD|_KEY$|DATABASE_URL/;

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
  // The error goes to the terminal and the logs: a credential's value is never shown, only its length.
  const shown = given === undefined ? undefined : CREDENTIAL_NAME.test(variable) ? `a value of ${given.length} characters` : `"${given}"`;
  const problem = shown === undefined ? `${issue?.message ?? 'invalid'} (not set)` : `${issue?.message ?? 'invalid'} (got ${shown})`;
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
  /** Picks the adapter behind every port (see `embeddedProfile`): in-process engines, local engines or production. */
  CHAT4ALL_PROFILE: z.enum(['embedded', 'local', 'production']).default('local'),
  /** The embedded profile's one data folder (bus logs, SQLite files, blobs, users); relative to the working directory. */
  CHAT4ALL_DATA_DIR: env.string('.local/data'),
  LOG_LEVEL: env.logLevel(),
  SHUTDOWN_TIMEOUT_MS: env.int(10_000, 100),
  /** Loopback by default; containers set 0.0.0.0. */
  HOST: env.string('127.0.0.1'),
  /** Whole-request limit; 0 disables it (large uploads on slow links take long, and are bounded by size instead). */
  HTTP_REQUEST_TIMEOUT_MS: env.int(0, 0),
  HTTP_HEADERS_TIMEOUT_MS: env.int(60_000, 1000),
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

/**
 * Where a process runs: `embedded` (in-process engines), `local` (engines from `npm run infra:up`)
 * or `production`. Only the first two may fall back to the well-known development secrets.
 */
export type Profile = ServiceConfig['CHAT4ALL_PROFILE'];
export const profilesWithDevSecrets: readonly Profile[] = ['embedded', 'local'];

/** True when every port should use its embedded adapter (the one place a factory asks). */
export function embeddedProfile(config: Pick<ServiceConfig, 'CHAT4ALL_PROFILE'>): boolean {
  return config.CHAT4ALL_PROFILE === 'embedded';
}

/** The folder of one embedded adapter (`bus`, `messages`, `files`, …) inside the data folder, as an absolute path. */
export function embeddedDataDir(config: Pick<ServiceConfig, 'CHAT4ALL_DATA_DIR'>, area: string): string {
  return path.resolve(config.CHAT4ALL_DATA_DIR, area);
}

// Stands for "not set" inside a secret field until `withSecrets` decides. An environment
// variable cannot contain NUL, so nobody can pass this value in.
const UNSET_SECRET = '\u0000unset';
const secretFields = z.registry<{ devDefault: string }>();

/**
 * A credential (token, app secret, S3 key). Outside production a missing value falls back to
 * `devDefault`, the value the local engines and platform simulators use; in production it must be
 * set. The default depends on CHAT4ALL_PROFILE, another field, so the schema holding secrets must
 * be wrapped in `withSecrets`.
 */
export function secret(devDefault: string) {
  const field = z.string().min(1).default(UNSET_SECRET);
  secretFields.add(field, { devDefault });
  return field;
}

/**
 * The S3 keys as credentials, spread after `s3Env` in a schema wrapped in `withSecrets` (files subgraph, migrations):
 * s3Env's own defaults suit the local engines only.
 */
export const s3CredentialsEnv = {
  S3_ACCESS_KEY: secret('chat4all'),
  S3_SECRET_KEY: secret('chat4all-secret'),
};

/** The secret fields of a schema with their development defaults. */
export function secretDefaults(schema: z.ZodObject): Record<string, string> {
  const found: Record<string, string> = {};
  for (const [key, field] of Object.entries(schema.shape)) {
    const meta = secretFields.get(field);
    if (meta) found[key] = meta.devDefault;
  }
  return found;
}

/**
 * Applies the secret policy to a service schema: in production an unset secret is an issue on that
 * variable (so `loadConfig` names it); otherwise it takes its development default.
 */
export function withSecrets<S extends z.ZodObject>(schema: S): S {
  const secrets = Object.entries(secretDefaults(schema));
  if (secrets.length > 0 && !('CHAT4ALL_PROFILE' in schema.shape)) {
    throw new Error(`withSecrets: a schema with secrets (${secrets.map(([key]) => key).join(', ')}) needs CHAT4ALL_PROFILE (spread serviceEnv)`);
  }
  return schema
    .superRefine((value, ctx) => {
      const config = value as Record<string, unknown>;
      if (profilesWithDevSecrets.includes(config.CHAT4ALL_PROFILE as Profile)) return;
      for (const [key] of secrets) {
        if (config[key] === UNSET_SECRET) {
          ctx.addIssue({ code: 'custom', path: [key], message: `required when CHAT4ALL_PROFILE=${String(config.CHAT4ALL_PROFILE)} (development defaults apply only to ${profilesWithDevSecrets.join('/')})` });
        }
      }
    })
    .overwrite((value) => {
      const config: Record<string, unknown> = { ...value };
      for (const [key, devDefault] of secrets) if (config[key] === UNSET_SECRET) config[key] = devDefault;
      return config as typeof value;
    });
}
