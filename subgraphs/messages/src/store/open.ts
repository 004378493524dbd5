import {
  embeddedDataDir,
  embeddedProfile,
  requireSchema,
  type CassandraConfig,
  type Logger,
  type ReadinessCheck,
  type ServiceConfig,
} from '@chat4all/common';
import { CassandraSendClaimStore } from '../claims/cassandra';
import { EmbeddedSendClaimStore } from '../claims/embedded';
import type { SendClaimStore } from '../claims/port';
import { CassandraMessageStore } from './cassandra';
import type { ConsistencyLevel } from './client';
import { EmbeddedMessageStore } from './embedded';
import { migrateEmbedded, type EmbeddedConfig } from './embedded-db';
import { newMessageId } from './ids';
import { verifyCassandra } from './migrate';
import type { MessageStore } from './port';

export type MessageStoreConfig = CassandraConfig & { CASSANDRA_CONSISTENCY: ConsistencyLevel } & Pick<ServiceConfig, 'CHAT4ALL_PROFILE' | 'CHAT4ALL_DATA_DIR'>;

/** A store the factory opened, with the readiness check of the engine behind it. */
export interface Opened<T> {
  value: T;
  /** What /readyz asks, under `checkName`; absent when another check covers the same engine. */
  checkName: string;
  check?: ReadinessCheck;
}

/** The embedded profile's SQLite folder, migrated on open (there is no `npm run migrate` in that profile). */
async function embeddedConfig(config: MessageStoreConfig, log: Logger): Promise<EmbeddedConfig> {
  const embedded = { dataDir: embeddedDataDir(config, 'messages') };
  await migrateEmbedded(embedded, log);
  return embedded;
}

/**
 * The one factory of the message store port: SQLite in `<CHAT4ALL_DATA_DIR>/messages` in the embedded profile (schema
 * applied on open), else Cassandra (refused when the keyspace is not migrated).
 */
export async function openMessageStore(config: MessageStoreConfig, log: Logger): Promise<Opened<MessageStore>> {
  let store: MessageStore;
  if (embeddedProfile(config)) {
    store = await EmbeddedMessageStore.open(await embeddedConfig(config, log));
  } else {
    await requireSchema('cassandra', () => verifyCassandra(config));
    store = await CassandraMessageStore.connect(config, { consistency: config.CASSANDRA_CONSISTENCY });
  }
  // A read through the store itself (an id nobody has): the engine answers and the schema is there.
  const probeId = newMessageId(0);
  return {
    value: store,
    checkName: embeddedProfile(config) ? 'message store' : 'cassandra',
    check: async () => {
      await store.get(probeId);
      return [];
    },
  };
}

/** The one factory of the send-claim port, beside the message store (same engine, same folder or keyspace). */
export async function openSendClaimStore(config: MessageStoreConfig, log: Logger): Promise<Opened<SendClaimStore>> {
  if (embeddedProfile(config)) {
    const claims = await EmbeddedSendClaimStore.open(await embeddedConfig(config, log));
    // The same SQLite file as the store: its check covers both.
    return { value: claims, checkName: 'send claims' };
  }
  const claims = await CassandraSendClaimStore.connect(config);
  return { value: claims, checkName: 'cassandra send claims', check: () => claims.ping() };
}

/** Takes a factory's store and registers its readiness check. */
export async function opened<T>(opening: Promise<Opened<T>>, addReadinessCheck: (name: string, check: ReadinessCheck) => void): Promise<T> {
  const { value, checkName, check } = await opening;
  if (check) addReadinessCheck(checkName, check);
  return value;
}
