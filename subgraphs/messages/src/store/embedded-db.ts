import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { MigrationLog } from './migrate';

/** Where the embedded adapters keep their one SQLite file. */
export interface EmbeddedConfig {
  dataDir: string;
}

export const EMBEDDED_DB_FILE = 'messages.sqlite';

/**
 * The schema, one entry per version, mirroring the CQL files' intent: message content and per-status rows, lookups by
 * client message id, and send claims. Applied in order inside a transaction each; never edited once released.
 */
export const EMBEDDED_MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'message_tables',
    sql: `CREATE TABLE messages (
        id TEXT PRIMARY KEY, conversation_id TEXT NOT NULL, sender_id TEXT NOT NULL, content TEXT, file_id TEXT,
        channel TEXT, client_message_id TEXT, created_at INTEGER NOT NULL) WITHOUT ROWID;
      CREATE INDEX messages_by_conversation ON messages (conversation_id, id);
      CREATE TABLE message_status (
        message_id TEXT NOT NULL, status TEXT NOT NULL, at INTEGER NOT NULL, reason TEXT,
        PRIMARY KEY (message_id, status)) WITHOUT ROWID;`,
  },
  {
    version: 2,
    name: 'message_lookups',
    sql: `CREATE TABLE messages_by_client_id (
        sender_id TEXT NOT NULL, client_message_id TEXT NOT NULL, message_id TEXT NOT NULL,
        PRIMARY KEY (sender_id, client_message_id)) WITHOUT ROWID;`,
  },
  {
    version: 3,
    name: 'send_claims',
    sql: `CREATE TABLE send_claims (
        sender_id TEXT NOT NULL, client_message_id TEXT NOT NULL, message_id TEXT NOT NULL, conversation_id TEXT NOT NULL,
        content TEXT, file_id TEXT, created_at INTEGER NOT NULL, state TEXT NOT NULL, lease_owner TEXT NOT NULL,
        lease_until INTEGER NOT NULL, PRIMARY KEY (sender_id, client_message_id)) WITHOUT ROWID;`,
  },
  {
    version: 4,
    // The Instagram connector's platform id -> message map (CQL 004 in the Cassandra keyspace).
    name: 'platform_message_refs',
    sql: `CREATE TABLE platform_message_refs (
        channel TEXT NOT NULL, platform_message_id TEXT NOT NULL, message_id TEXT NOT NULL, conversation_id TEXT NOT NULL,
        PRIMARY KEY (channel, platform_message_id)) WITHOUT ROWID;`,
  },
  {
    version: 5,
    // Cassandra's TTLs (CQL 005: claims 7 days, CQL 004: refs 30 days) as a swept column (src/store/expiry.ts). Rows
    // written before this version get a full TTL from the upgrade, so none vanishes earlier than a client could expect.
    name: 'expiry',
    sql: `ALTER TABLE send_claims ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 0;
      UPDATE send_claims SET expires_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000 + 604800000;
      CREATE INDEX send_claims_by_expiry ON send_claims (expires_at);
      ALTER TABLE platform_message_refs ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 0;
      UPDATE platform_message_refs SET expires_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000 + 2592000000;
      CREATE INDEX platform_message_refs_by_expiry ON platform_message_refs (expires_at);`,
  },
];

/** Opens (creating the folder and file if needed) the data folder's database in WAL mode. */
export function openEmbeddedDb(config: EmbeddedConfig): Database.Database {
  mkdirSync(config.dataDir, { recursive: true });
  const db = new Database(path.join(config.dataDir, EMBEDDED_DB_FILE));
  db.pragma('journal_mode = WAL');
  // Store and claim store hold their own connections to the one file: wait for the other's write rather than fail.
  db.pragma('busy_timeout = 5000');
  // Every commit synced to disk, as the embedded bus syncs each append and offset commit: a consumer commits its offset
  // only once this store's write is durable, and NORMAL (synced at checkpoints only) could lose it to a power cut.
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  return db;
}

function appliedVersions(db: Database.Database): Set<number> {
  const rows = db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[];
  return new Set(rows.map((r) => r.version));
}

/** Applies the missing schema versions (idempotent). */
export async function migrateEmbedded(config: EmbeddedConfig, log: MigrationLog): Promise<void> {
  const db = openEmbeddedDb(config);
  try {
    const applied = appliedVersions(db);
    for (const m of EMBEDDED_MIGRATIONS) {
      if (applied.has(m.version)) continue;
      db.transaction(() => {
        db.exec(m.sql);
        db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
      }).immediate();
      log.info({ version: m.version, name: m.name }, 'applied embedded messages migration');
    }
  } finally {
    db.close();
  }
}

/** Names of the schema versions not applied yet; empty when ready. */
export async function verifyEmbedded(config: EmbeddedConfig): Promise<string[]> {
  const db = openEmbeddedDb(config);
  try {
    const applied = appliedVersions(db);
    return EMBEDDED_MIGRATIONS.filter((m) => !applied.has(m.version)).map((m) => `embedded migration ${m.version} (${m.name})`);
  } finally {
    db.close();
  }
}
