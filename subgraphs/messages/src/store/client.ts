import { Client, types } from 'cassandra-driver';
import { z } from 'zod';
import type { CassandraConfig } from '@chat4all/common';

export const CONSISTENCY_LEVELS = ['ONE', 'LOCAL_ONE', 'QUORUM', 'LOCAL_QUORUM', 'EACH_QUORUM', 'ALL'] as const;
export type ConsistencyLevel = (typeof CONSISTENCY_LEVELS)[number];

/** Env fragment for services that open the store (spread it beside cassandraEnv). */
export const cassandraStoreEnv = {
  CASSANDRA_CONSISTENCY: z.enum(CONSISTENCY_LEVELS).default('LOCAL_QUORUM'),
};

const CONSISTENCY: Record<ConsistencyLevel, types.consistencies> = {
  ONE: types.consistencies.one,
  LOCAL_ONE: types.consistencies.localOne,
  QUORUM: types.consistencies.quorum,
  LOCAL_QUORUM: types.consistencies.localQuorum,
  EACH_QUORUM: types.consistencies.eachQuorum,
  ALL: types.consistencies.all,
};

const KEYSPACE_PATTERN = /^[a-z][a-z0-9_]{0,47}$/;

/** Keyspace names are spliced into DDL, so they are checked here too, not only by the env schema. */
export function checkedKeyspace(keyspace: string): string {
  if (!KEYSPACE_PATTERN.test(keyspace)) throw new Error(`invalid Cassandra keyspace name: "${keyspace}"`);
  return keyspace;
}

export interface ClientOptions {
  /** Connect with this keyspace as the default one; omit for keyspace-level DDL. */
  keyspace?: string;
  consistency?: ConsistencyLevel;
}

/**
 * A connected driver client. Every statement this project issues is an upsert or a read, so all are marked
 * idempotent (the driver may then retry them on another connection) and prepared.
 */
export async function connectCassandra(config: CassandraConfig, options: ClientOptions = {}): Promise<Client> {
  const client = new Client({
    contactPoints: config.CASSANDRA_CONTACT_POINTS,
    localDataCenter: config.CASSANDRA_LOCAL_DC,
    ...(options.keyspace === undefined ? {} : { keyspace: checkedKeyspace(options.keyspace) }),
    queryOptions: {
      consistency: CONSISTENCY[options.consistency ?? 'LOCAL_QUORUM'],
      prepare: true,
      isIdempotent: true,
    },
  });
  try {
    await client.connect();
  } catch (error) {
    await client.shutdown().catch(() => undefined);
    const where = `${config.CASSANDRA_CONTACT_POINTS.join(',')} (datacenter ${config.CASSANDRA_LOCAL_DC})`;
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot connect to Cassandra at ${where}: ${reason}`, { cause: error });
  }
  return client;
}
