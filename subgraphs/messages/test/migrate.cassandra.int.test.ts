import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { cassandraEnv, createLogger, loadConfig, type CassandraConfig } from '@chat4all/common';
import { migrateCassandra, verifyCassandra } from '../src';
import { connectCassandra } from '../src/store/client';
import { loadMigrations } from '../src/store/migrate';

jest.setTimeout(180_000);

const base = loadConfig(z.object(cassandraEnv));
const log = createLogger('messages-migrate-test', 'silent');
const scratchKeyspace = `chat4all_mig_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
const scratch: CassandraConfig = { ...base, CASSANDRA_KEYSPACE: scratchKeyspace };
const otherKeyspace = `${scratchKeyspace}_b`;

async function tables(keyspace: string): Promise<string[]> {
  const client = await connectCassandra(base);
  try {
    const result = await client.execute('SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?', [keyspace]);
    return result.rows.map((r) => r.get('table_name') as string).sort();
  } finally {
    await client.shutdown();
  }
}

async function defaultTtl(keyspace: string, table: string): Promise<number | undefined> {
  const client = await connectCassandra(base);
  try {
    const result = await client.execute('SELECT default_time_to_live FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?', [keyspace, table]);
    return result.first()?.get('default_time_to_live') as number | undefined;
  } finally {
    await client.shutdown();
  }
}

afterAll(async () => {
  const client = await connectCassandra(base);
  try {
    await client.execute(`DROP KEYSPACE IF EXISTS ${scratchKeyspace}`);
    await client.execute(`DROP KEYSPACE IF EXISTS ${otherKeyspace}`);
  } finally {
    await client.shutdown();
  }
});

describe('Cassandra migrations', () => {
  it('reports the keyspace and every migration missing before, nothing after, and runs again harmlessly', async () => {
    const names = (await loadMigrations()).map((m) => `Cassandra migration ${scratchKeyspace}.${m.name}`);
    expect(names.length).toBeGreaterThan(0);
    expect(await verifyCassandra(scratch)).toEqual([`Cassandra keyspace ${scratchKeyspace}`, ...names]);

    await migrateCassandra(scratch, log);
    expect(await verifyCassandra(scratch)).toEqual([]);
    expect(await tables(scratchKeyspace)).toEqual([
      'conversation_buckets',
      'message_status',
      'messages_by_client_id',
      'messages_by_conversation',
      'messages_by_id',
      'platform_message_refs',
      'schema_migrations',
      'send_claims',
    ]);
    expect(await defaultTtl(scratchKeyspace, 'send_claims')).toBe(604800);

    await migrateCassandra(scratch, log);
    expect(await verifyCassandra(scratch)).toEqual([]);
  });

  it('applies only the migrations not yet recorded', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'cql-'));
    const config: CassandraConfig = { ...base, CASSANDRA_KEYSPACE: otherKeyspace };
    try {
      // No IF NOT EXISTS: running this file a second time would fail, so passing proves it ran once.
      await writeFile(path.join(dir, '001_first.cql'), '-- a comment line\nCREATE TABLE extra_one (k text PRIMARY KEY);\n');
      expect(await verifyCassandra(config, { migrationsDir: dir })).toEqual([
        `Cassandra keyspace ${otherKeyspace}`,
        `Cassandra migration ${otherKeyspace}.001_first`,
      ]);
      await migrateCassandra(config, log, { migrationsDir: dir });
      expect(await verifyCassandra(config, { migrationsDir: dir })).toEqual([]);

      await writeFile(
        path.join(dir, '002_second.cql'),
        "CREATE TABLE extra_two (k text PRIMARY KEY, v int);\nINSERT INTO extra_one (k) VALUES ('seeded');\n",
      );
      expect(await verifyCassandra(config, { migrationsDir: dir })).toEqual([`Cassandra migration ${otherKeyspace}.002_second`]);
      await migrateCassandra(config, log, { migrationsDir: dir });
      expect(await verifyCassandra(config, { migrationsDir: dir })).toEqual([]);
      expect(await tables(otherKeyspace)).toEqual(['extra_one', 'extra_two', 'schema_migrations']);

      const client = await connectCassandra(config, { keyspace: otherKeyspace });
      try {
        const applied = await client.execute('SELECT version, name FROM schema_migrations');
        expect(applied.rows.map((r) => [r.get('version'), r.get('name')]).sort()).toEqual([
          [1, '001_first'],
          [2, '002_second'],
        ]);
        expect((await client.execute('SELECT k FROM extra_one')).rows.map((r) => r.get('k'))).toEqual(['seeded']);
      } finally {
        await client.shutdown();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
