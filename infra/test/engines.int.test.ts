import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { cassandraReleaseVersion } from '../src/engines/cassandra';
import { kafkaMetadata } from '../src/engines/kafka';
import { ensureRoleAndDatabase, postgresSelectOne } from '../src/engines/postgres';
import { s3ListBuckets } from '../src/engines/s3proxy';
import { loadSettings, repoRoot } from '../src/settings';

// Runs after `npm run infra:up`: every engine must answer, and a missing one fails with its reason.
const execFileAsync = promisify(execFile);
const settings = loadSettings();
jest.setTimeout(60_000);

describe('local engines (after npm run infra:up)', () => {
  it('infra:status reports all four engines up and ready, and exits 0', async () => {
    const tsx = join(repoRoot, 'node_modules', '.bin', 'tsx');
    const { stdout } = await execFileAsync(tsx, [join(repoRoot, 'infra', 'src', 'cli.ts'), 'status'], { cwd: repoRoot }).catch(
      (err: Error & { stdout?: string }) => {
        throw new Error(`infra:status failed (are the engines up? run npm run infra:up):\n${err.stdout ?? err.message}`);
      },
    );
    const lines = stdout.trim().split('\n');
    for (const [name, port] of [
      ['kafka', settings.kafka.port],
      ['cassandra', settings.cassandra.port],
      ['s3proxy', settings.s3.port],
      ['postgres', settings.postgres.port],
    ] as const) {
      const line = lines.find((l) => l.startsWith(`${name} `));
      expect(line).toMatch(new RegExp(`^${name}\\s+up\\s+pid (\\d+|-)\\s+port ${port}\\s+ready \\(`));
    }
  });

  it('Kafka answers a kafkajs admin metadata request', async () => {
    await expect(kafkaMetadata([`${settings.kafka.host}:${settings.kafka.port}`])).resolves.toMatch(/^1 broker\(s\), controller 1, cluster \S+$/);
  });

  it('Cassandra answers SELECT release_version FROM system.local with 5.0.x', async () => {
    await expect(cassandraReleaseVersion(`${settings.cassandra.host}:${settings.cassandra.port}`, settings.cassandra.localDc)).resolves.toMatch(
      /^release 5\.0\.\d+$/,
    );
  });

  it('S3Proxy answers a signed bucket listing through the minio client', async () => {
    await expect(s3ListBuckets(settings.s3)).resolves.toMatch(/^\d+ bucket\(s\)$/);
  });

  it('PostgreSQL answers SELECT 1 as the chat4all role in the chat4all database', async () => {
    await expect(postgresSelectOne(settings.postgres.url)).resolves.toBe('SELECT 1 as chat4all on chat4all');
  });

  it('creates a LOGIN role and a database owned by it once, and leaves them alone the second time', async () => {
    const name = `infra_test_${Date.now()}_${Math.random().toString(36).slice(2, 6)}`;
    const admin = new URL(settings.postgres.url);
    admin.username = settings.postgres.adminUser;
    admin.pathname = '/postgres';
    const app = new URL(settings.postgres.url);
    app.username = name;
    app.pathname = `/${name}`;
    const client = new Client({ connectionString: admin.toString() });
    await client.connect();
    try {
      await expect(ensureRoleAndDatabase(admin.toString(), name, name)).resolves.toEqual([`role ${name}`, `database ${name}`]);
      await expect(ensureRoleAndDatabase(admin.toString(), name, name)).resolves.toEqual([]);
      await expect(postgresSelectOne(app.toString())).resolves.toBe(`SELECT 1 as ${name} on ${name}`);
      const owner = await client.query<{ owner: string }>('SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1', [name]);
      expect(owner.rows).toEqual([{ owner: name }]);
    } finally {
      await client.query(`DROP DATABASE IF EXISTS ${name}`);
      await client.query(`DROP ROLE IF EXISTS ${name}`);
      await client.end();
    }
  });

  it('kafkajs 2.2.4 can create a topic, produce, consume and commit against this Kafka', async () => {
    const kafka = new Kafka({ clientId: 'infra-int-test', brokers: [`${settings.kafka.host}:${settings.kafka.port}`], logLevel: logLevel.NOTHING });
    const topic = `infra-roundtrip-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
    const groupId = `${topic}-group`;
    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId });
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
      await producer.connect();
      await producer.send({ topic, messages: [{ key: 'k1', value: 'hello kafka 4' }] });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const received = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no message consumed within 30 s')), 30_000);
        void consumer.run({
          autoCommit: false,
          eachMessage: async ({ message, partition }) => {
            await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
            clearTimeout(timer);
            resolve(`${message.key?.toString()}=${message.value?.toString()}`);
          },
        });
      });
      expect(received).toBe('k1=hello kafka 4');
      const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
      expect(offsets).toEqual([{ topic, partitions: [expect.objectContaining({ partition: 0, offset: '1' })] }]);
    } finally {
      await consumer.disconnect().catch(() => undefined);
      await producer.disconnect().catch(() => undefined);
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  });

  it('Kafka does not create topics on demand (auto.create.topics.enable=false)', async () => {
    const kafka = new Kafka({ clientId: 'infra-int-test', brokers: [`${settings.kafka.host}:${settings.kafka.port}`], logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ allowAutoTopicCreation: true, retry: { retries: 1 } });
    await producer.connect();
    try {
      await expect(producer.send({ topic: `infra-never-created-${Date.now()}`, messages: [{ value: 'x' }] })).rejects.toThrow();
    } finally {
      await producer.disconnect();
    }
  });
});
