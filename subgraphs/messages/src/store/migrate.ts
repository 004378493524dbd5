import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from 'cassandra-driver';
import type { CassandraConfig, Logger } from '@chat4all/common';
import { checkedKeyspace, connectCassandra } from './client';

/**
 * Versioned CQL migrations: `migrations/NNN_name.cql`, applied once each in version order and recorded in the
 * keyspace's `schema_migrations` table. Files use `IF NOT EXISTS` so a file interrupted half-way can simply run again.
 */
export const MIGRATIONS_DIR = path.join(__dirname, 'migrations');
const FILE_PATTERN = /^(\d{3})_([a-z0-9_]+)\.cql$/;

export interface Migration {
  version: number;
  /** File name without extension, e.g. `001_message_tables`. */
  name: string;
  statements: string[];
  checksum: string;
}

export interface MigrationOptions {
  /** Where the .cql files are; the package's own by default (tests point it elsewhere). */
  migrationsDir?: string;
}

export type MigrationLog = Pick<Logger, 'info' | 'warn'>;

/**
 * Statements split on `;`. Whole-line `--` / `//` comments are dropped first. Semicolons inside string literals are not
 * supported, which the schema files never need.
 */
export function splitStatements(cql: string): string[] {
  return cql
    .split('\n')
    .filter((line) => !/^\s*(--|\/\/)/.test(line))
    .join('\n')
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export async function loadMigrations(dir: string = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cql')).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const match = FILE_PATTERN.exec(file);
    if (!match) throw new Error(`migration file name must look like 001_name.cql: ${path.join(dir, file)}`);
    const version = Number(match[1]);
    if (migrations.some((m) => m.version === version)) throw new Error(`two migrations with version ${match[1]} in ${dir}`);
    const text = await readFile(path.join(dir, file), 'utf8');
    const statements = splitStatements(text);
    if (statements.length === 0) throw new Error(`migration ${file} has no statements`);
    const checksum = createHash('sha256').update(text).digest('hex');
    migrations.push({ version, name: file.slice(0, -'.cql'.length), statements, checksum });
  }
  return migrations;
}

const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version int PRIMARY KEY, name text, checksum text, applied_at timestamp)`;

async function appliedMigrations(client: Client): Promise<Map<number, string>> {
  const result = await client.execute('SELECT version, checksum FROM schema_migrations');
  return new Map(result.rows.map((row) => [row.get('version') as number, row.get('checksum') as string]));
}

/** Creates the keyspace (SimpleStrategy) and applies every migration not yet recorded. Safe to run repeatedly. */
export async function migrateCassandra(config: CassandraConfig, log: MigrationLog, options: MigrationOptions = {}): Promise<void> {
  const keyspace = checkedKeyspace(config.CASSANDRA_KEYSPACE);
  const migrations = await loadMigrations(options.migrationsDir);
  const replicationFactor = config.CASSANDRA_REPLICATION_FACTOR;

  const admin = await connectCassandra(config);
  try {
    await admin.execute(
      `CREATE KEYSPACE IF NOT EXISTS ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': ${replicationFactor}}`,
    );
    const existing = await admin.execute('SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?', [keyspace]);
    const actual = (existing.first()?.get('replication') as Record<string, string> | undefined)?.replication_factor;
    if (actual !== undefined && Number(actual) !== replicationFactor) {
      // Changing replication needs a repair afterwards, so it is an operator's decision, not a migration's.
      log.warn({ keyspace, actual: Number(actual), configured: replicationFactor }, 'keyspace replication factor differs from configuration');
    }
  } finally {
    await admin.shutdown();
  }

  const client = await connectCassandra(config, { keyspace });
  try {
    await client.execute(CREATE_MIGRATIONS_TABLE);
    const applied = await appliedMigrations(client);
    for (const migration of migrations) {
      const appliedChecksum = applied.get(migration.version);
      if (appliedChecksum !== undefined) {
        if (appliedChecksum !== migration.checksum) {
          log.warn({ keyspace, migration: migration.name }, 'migration file changed after it was applied; add a new migration instead');
        }
        continue;
      }
      for (const statement of migration.statements) await client.execute(statement);
      await client.execute('INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)', [
        migration.version,
        migration.name,
        migration.checksum,
        new Date(),
      ]);
      log.info({ keyspace, migration: migration.name }, 'applied Cassandra migration');
    }
  } finally {
    await client.shutdown();
  }
}

/** What `migrateCassandra` would still create: the keyspace and/or migrations by name. Empty means ready. */
export async function verifyCassandra(config: CassandraConfig, options: MigrationOptions = {}): Promise<string[]> {
  const keyspace = checkedKeyspace(config.CASSANDRA_KEYSPACE);
  const migrations = await loadMigrations(options.migrationsDir);
  const client = await connectCassandra(config);
  try {
    const ks = await client.execute('SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?', [keyspace]);
    const table = await client.execute(
      'SELECT table_name FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?',
      [keyspace, 'schema_migrations'],
    );
    const missing: string[] = [];
    if (ks.rowLength === 0) missing.push(`Cassandra keyspace ${keyspace}`);
    let applied = new Set<number>();
    if (table.rowLength > 0) {
      const rows = await client.execute(`SELECT version FROM ${keyspace}.schema_migrations`);
      applied = new Set(rows.rows.map((row) => row.get('version') as number));
    }
    for (const m of migrations) if (!applied.has(m.version)) missing.push(`Cassandra migration ${keyspace}.${m.name}`);
    return missing;
  } finally {
    await client.shutdown();
  }
}
