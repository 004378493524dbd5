import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { writeFromTemplate } from '../template';
import type { Settings } from '../settings';
import { javaEngine, type JavaLaunch } from './java';
import type { Engine } from './types';

const execFileAsync = promisify(execFile);

/**
 * A KRaft cluster id: 16 random bytes, base64url without padding (what `StorageTool random-uuid` prints). Like Kafka's
 * own Uuid.randomUuid, never one starting with `-` (1 in 64 do): StorageTool's argument parser takes `-t -abc…` for
 * an option and refuses to format.
 */
export function newClusterId(random: (size: number) => Buffer = randomBytes): string {
  for (;;) {
    const id = random(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** kafkajs admin metadata request: the broker answers only once it has joined its own KRaft quorum. */
export async function kafkaMetadata(brokers: string[], clientId = 'chat4all-infra'): Promise<string> {
  const kafka = new Kafka({
    clientId,
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2000,
    requestTimeout: 4000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length === 0) throw new Error('metadata lists no broker');
    return `${cluster.brokers.length} broker(s), controller ${cluster.controller}, cluster ${cluster.clusterId}`;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export function kafkaEngine(settings: Settings): Engine {
  const { host, port, controllerPort, heap } = settings.kafka;
  return javaEngine({
    name: 'kafka',
    host,
    port,
    ports: [port, controllerPort],
    settings,
    async prepare(paths): Promise<JavaLaunch> {
      const vars = { host, port, controllerPort, dataDir: paths.data, logFile: paths.logFile };
      const serverProperties = writeFromTemplate('kafka/server.properties', join(paths.config, 'server.properties'), vars);
      const log4j = writeFromTemplate('kafka/log4j2.xml', join(paths.config, 'log4j2.xml'), vars);
      const jvmArgs = [`-Dlog4j2.configurationFile=${log4j}`, `-Dkafka.logs.dir=${join(settings.localDir, 'logs')}`];
      // Formatting writes meta.properties; it happens once per data folder (-g also tolerates a formatted one).
      if (!existsSync(join(paths.data, 'meta.properties'))) {
        const classpath = join(paths.lib, '*');
        await execFileAsync('java', [...jvmArgs, '-cp', classpath, 'kafka.tools.StorageTool', 'format', '-t', newClusterId(), '-c', serverProperties, '-g'], {
          cwd: paths.engineDir,
        }).catch((err: Error & { stdout?: string; stderr?: string }) => {
          throw new Error(`kafka storage format failed: ${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`);
        });
      }
      return {
        mainClass: 'kafka.Kafka',
        jvmArgs: [...heap, '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-Djava.awt.headless=true', ...jvmArgs],
        args: [serverProperties],
      };
    },
    query: () => kafkaMetadata([`${host}:${port}`]),
  });
}
