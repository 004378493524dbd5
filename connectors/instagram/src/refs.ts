import { embeddedDataDir, embeddedProfile, type CassandraConfig, type Logger, type PlatformMessageRefs, type ServiceConfig } from '@chat4all/common';
import { migrateEmbedded } from '@chat4all/messages';
import { CassandraPlatformMessageRefs } from './refs-cassandra';
import { EmbeddedPlatformMessageRefs } from './refs-embedded';

/**
 * The one factory of the platform message refs port: the embedded messages database in `<CHAT4ALL_DATA_DIR>/messages`
 * (migrated on open), else the messages keyspace in Cassandra (refused when not migrated).
 */
export async function openPlatformMessageRefs(
  config: CassandraConfig & Pick<ServiceConfig, 'CHAT4ALL_PROFILE' | 'CHAT4ALL_DATA_DIR'>,
  log: Logger,
): Promise<PlatformMessageRefs> {
  if (!embeddedProfile(config)) return CassandraPlatformMessageRefs.connect(config);
  const embedded = { dataDir: embeddedDataDir(config, 'messages') };
  await migrateEmbedded(embedded, log);
  return EmbeddedPlatformMessageRefs.open(embedded);
}
