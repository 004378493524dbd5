import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'cassandra-driver';
import { writeFromTemplate } from '../template';
import type { Settings } from '../settings';
import { javaEngine, type JavaLaunch } from './java';
import type { Engine } from './types';

/** Module access Cassandra 5.0 needs on Java 17 (from the distribution's jvm17-server.options). */
const java17Flags = [
  '-Djdk.attach.allowAttachSelf=true',
  ...[
    'java.base/jdk.internal.misc',
    'java.management.rmi/com.sun.jmx.remote.internal.rmi',
    'java.management/com.sun.jmx.remote.security',
    'java.rmi/sun.rmi.registry',
    'java.rmi/sun.rmi.server',
    'java.sql/java.sql',
    'java.base/java.lang.ref',
    'jdk.unsupported/sun.misc',
  ].map((m) => `--add-exports=${m}=ALL-UNNAMED`),
  ...[
    'java.base/java.lang.module',
    'java.base/jdk.internal.loader',
    'java.base/jdk.internal.ref',
    'java.base/jdk.internal.reflect',
    'java.base/jdk.internal.math',
    'java.base/jdk.internal.module',
    'java.base/jdk.internal.util.jar',
    'jdk.management/com.sun.management.internal',
    'java.base/sun.nio.ch',
    'java.base/java.io',
    'java.base/java.lang.reflect',
    'java.base/java.lang',
    'java.base/java.util',
    'java.base/java.nio',
  ].map((m) => `--add-opens=${m}=ALL-UNNAMED`),
  '-Dio.netty.tryReflectionSetAccessible=true',
];

/** CQL through the DataStax driver: the node answers only once its native transport is up. */
export async function cassandraReleaseVersion(contactPoint: string, localDataCenter: string): Promise<string> {
  const client = new Client({ contactPoints: [contactPoint], localDataCenter, socketOptions: { connectTimeout: 2000, readTimeout: 4000 } });
  try {
    const result = await client.execute('SELECT release_version FROM system.local');
    const version: unknown = result.first()?.get('release_version');
    if (typeof version !== 'string') throw new Error('system.local has no release_version');
    return `release ${version}`;
  } finally {
    await client.shutdown().catch(() => undefined);
  }
}

export function cassandraEngine(settings: Settings): Engine {
  const { host, port, storagePort, localDc, heap, timerSlackNs } = settings.cassandra;
  return javaEngine({
    name: 'cassandra',
    host,
    port,
    ports: [port, storagePort],
    settings,
    async prepare(paths): Promise<JavaLaunch> {
      const vars = { host, port, storagePort, dataDir: paths.data, logFile: paths.logFile };
      const yaml = writeFromTemplate('cassandra/cassandra.yaml', join(paths.config, 'cassandra.yaml'), vars);
      const logback = writeFromTemplate('cassandra/logback.xml', join(paths.config, 'logback.xml'), vars);
      const logDir = join(settings.localDir, 'logs', 'cassandra');
      mkdirSync(logDir, { recursive: true });
      const jamm = readdirSync(paths.lib).find((f) => /^jamm-[\d.]+\.jar$/.test(f));
      if (!jamm) throw new Error(`no jamm jar in ${paths.lib}: run npm run infra:fetch`);
      return {
        mainClass: 'org.apache.cassandra.service.CassandraDaemon',
        jvmArgs: [
          ...heap,
          '-Xss256k',
          '-XX:+UseG1GC',
          `-javaagent:${join(paths.lib, jamm)}`,
          ...java17Flags,
          '-Djava.net.preferIPv4Stack=true',
          '-Dchronicle.analytics.disable=true',
          `-Dcassandra.config=file://${yaml}`,
          `-Dcassandra.storagedir=${paths.data}`,
          `-Dcassandra.logdir=${logDir}`,
          `-Dlogback.configurationFile=${logback}`,
          // Without it Cassandra closes stdout and stderr, and its log file stays empty.
          '-Dcassandra-foreground=yes',
          // One node: nothing to wait for in gossip, and no superuser to create (AllowAllAuthenticator).
          '-Dcassandra.skip_wait_for_gossip_to_settle=0',
          '-Dcassandra.ring_delay_ms=1000',
          '-Dcassandra.superuser_setup_delay_ms=0',
        ],
        args: [],
        // Cassandra's shared-executor workers wait for work in timed parks of 10 µs to 1 ms, for up to ~10 ms after
        // each task, so a trickle of requests keeps them waking all the time. With the kernel's default 50 µs slack that
        // cost 0.52 of a core at 250 single inserts/s on the 2-core dev machine; 250 µs lets the kernel merge those
        // wake-ups: 0.25 of a core at 250/s and at 1,000/s, with no slower answers (bench/README.md, pipeline).
        ...(timerSlackNs > 0 && { timerSlackNs }),
      };
    },
    query: () => cassandraReleaseVersion(`${host}:${port}`, localDc),
  });
}
