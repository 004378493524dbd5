import { join, resolve } from 'node:path';
import { z } from 'zod';
import { cassandraEnv, env, kafkaEnv, loadConfig, postgresEnv, s3Env, type Env } from '@chat4all/common';

export const repoRoot = resolve(__dirname, '..', '..');

/**
 * What the infra scripts read from the environment. Engine addresses reuse the services'
 * own variables (KAFKA_BROKERS, CASSANDRA_CONTACT_POINTS, S3_ENDPOINT, DATABASE_URL), so moving
 * an engine to another port moves the services with it.
 */
const infraEnv = z.object({
  ...kafkaEnv,
  ...cassandraEnv,
  ...s3Env,
  ...postgresEnv,
  CHAT4ALL_LOCAL_DIR: env.string(join(repoRoot, '.local')),
  KAFKA_CONTROLLER_PORT: env.port(9093),
  CASSANDRA_STORAGE_PORT: env.port(7000),
  POSTGRES_ADMIN_USER: env.string('postgres'),
  KAFKA_HEAP: env.string('-Xms256m -Xmx512m'),
  CASSANDRA_HEAP: env.string('-Xms512m -Xmx768m'),
  /** Linux timer slack of the Cassandra JVM's threads, in ns (0: the system's 50 µs); see cassandra.ts. */
  CASSANDRA_TIMER_SLACK_NS: env.int(250_000, 0),
  S3PROXY_HEAP: env.string('-Xms64m -Xmx256m'),
  INFRA_READY_TIMEOUT_MS: env.int(180_000, 1000),
  INFRA_STOP_TIMEOUT_MS: env.int(30_000, 100),
});

export interface HostPort {
  host: string;
  port: number;
}

export interface Settings {
  localDir: string;
  kafka: HostPort & { controllerPort: number; heap: string[]; clientId: string };
  cassandra: HostPort & { storagePort: number; localDc: string; heap: string[]; timerSlackNs: number };
  s3: HostPort & { endpoint: string; region: string; accessKey: string; secretKey: string; heap: string[] };
  postgres: HostPort & { url: string; adminUser: string; database: string };
  readyTimeoutMs: number;
  stopTimeoutMs: number;
}

/** "host:port" with a default port; the first entry of a list is the one we run. */
export function parseHostPort(value: string, defaultPort: number): HostPort {
  const match = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(value.trim());
  if (!match?.[1]) throw new Error(`not a host:port: "${value}"`);
  return { host: match[1], port: match[2] ? Number(match[2]) : defaultPort };
}

function heapArgs(value: string): string[] {
  return value.split(/\s+/).filter(Boolean);
}

export function loadSettings(source: Env = process.env): Settings {
  const c = loadConfig(infraEnv, source);
  const s3Url = new URL(c.S3_ENDPOINT);
  const pgUrl = new URL(c.DATABASE_URL);
  return {
    localDir: resolve(c.CHAT4ALL_LOCAL_DIR),
    kafka: {
      ...parseHostPort(c.KAFKA_BROKERS[0] ?? '127.0.0.1:9092', 9092),
      controllerPort: c.KAFKA_CONTROLLER_PORT,
      heap: heapArgs(c.KAFKA_HEAP),
      clientId: c.KAFKA_CLIENT_ID,
    },
    cassandra: {
      ...parseHostPort(c.CASSANDRA_CONTACT_POINTS[0] ?? '127.0.0.1:9042', 9042),
      storagePort: c.CASSANDRA_STORAGE_PORT,
      localDc: c.CASSANDRA_LOCAL_DC,
      heap: heapArgs(c.CASSANDRA_HEAP),
      timerSlackNs: c.CASSANDRA_TIMER_SLACK_NS,
    },
    s3: {
      host: s3Url.hostname,
      port: Number(s3Url.port || (s3Url.protocol === 'https:' ? 443 : 80)),
      endpoint: c.S3_ENDPOINT,
      region: c.S3_REGION,
      accessKey: c.S3_ACCESS_KEY,
      secretKey: c.S3_SECRET_KEY,
      heap: heapArgs(c.S3PROXY_HEAP),
    },
    postgres: {
      host: pgUrl.hostname,
      port: Number(pgUrl.port || 5432),
      url: c.DATABASE_URL,
      adminUser: c.POSTGRES_ADMIN_USER,
      database: decodeURIComponent(pgUrl.pathname.replace(/^\//, '')) || 'chat4all',
    },
    readyTimeoutMs: c.INFRA_READY_TIMEOUT_MS,
    stopTimeoutMs: c.INFRA_STOP_TIMEOUT_MS,
  };
}

/** Where each engine keeps its files under the local folder. */
export function enginePaths(localDir: string, name: string) {
  return {
    lib: join(localDir, 'engines', name, 'lib'),
    engineDir: join(localDir, 'engines', name),
    config: join(localDir, 'config', name),
    data: join(localDir, 'data', name),
    logFile: join(localDir, 'logs', `${name}.log`),
    pidFile: join(localDir, 'run', `${name}.pid`),
  };
}
