import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'minio';
import { writeFromTemplate } from '../template';
import type { Settings } from '../settings';
import { javaEngine, type JavaLaunch } from './java';
import type { Engine } from './types';

/** A signed ListBuckets through the minio client, as the files subgraph will talk to it. */
export async function s3ListBuckets(s3: Settings['s3']): Promise<string> {
  const url = new URL(s3.endpoint);
  const client = new Client({
    endPoint: url.hostname,
    port: s3.port,
    useSSL: url.protocol === 'https:',
    accessKey: s3.accessKey,
    secretKey: s3.secretKey,
    // S3Proxy answers GetBucketLocation with an empty constraint: name the region, use path style.
    region: s3.region,
    pathStyle: true,
  });
  const buckets = await client.listBuckets();
  return `${buckets.length} bucket(s)`;
}

export function s3proxyEngine(settings: Settings): Engine {
  const { host, port, accessKey, secretKey, heap } = settings.s3;
  return javaEngine({
    name: 's3proxy',
    host,
    port,
    ports: [port],
    settings,
    async prepare(paths): Promise<JavaLaunch> {
      mkdirSync(paths.data, { recursive: true });
      const vars = { host, port, accessKey, secretKey, dataDir: paths.data, logFile: paths.logFile };
      const properties = writeFromTemplate('s3proxy/s3proxy.properties', join(paths.config, 's3proxy.properties'), vars);
      const logback = writeFromTemplate('s3proxy/logback.xml', join(paths.config, 'logback.xml'), vars);
      return {
        mainClass: 'org.gaul.s3proxy.Main',
        jvmArgs: [...heap, '-XX:+UseSerialGC', `-Dlogback.configurationFile=${logback}`],
        args: ['--properties', properties],
      };
    },
    query: () => s3ListBuckets(settings.s3),
  });
}
