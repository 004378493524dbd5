import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadMigrations, splitStatements } from '../src/store/migrate';

describe('CQL migration files', () => {
  it('split on semicolons, dropping whole-line comments and blanks', () => {
    expect(splitStatements('-- top\nCREATE TABLE a (k int PRIMARY KEY);\n\n// other\nINSERT INTO a (k) VALUES (1) ;\n;\n')).toEqual([
      'CREATE TABLE a (k int PRIMARY KEY)',
      'INSERT INTO a (k) VALUES (1)',
    ]);
  });

  it('load in version order and refuse bad names and duplicate versions', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'cql-unit-'));
    try {
      await writeFile(path.join(dir, '010_later.cql'), 'CREATE TABLE b (k int PRIMARY KEY);');
      await writeFile(path.join(dir, '002_early.cql'), 'CREATE TABLE a (k int PRIMARY KEY);');
      const loaded = await loadMigrations(dir);
      expect(loaded.map((m) => [m.version, m.name])).toEqual([
        [2, '002_early'],
        [10, '010_later'],
      ]);
      expect(loaded[0]?.checksum).toMatch(/^[0-9a-f]{64}$/);

      await writeFile(path.join(dir, '002_again.cql'), 'CREATE TABLE c (k int PRIMARY KEY);');
      await expect(loadMigrations(dir)).rejects.toThrow(/two migrations with version 002/);
      await rm(path.join(dir, '002_again.cql'));

      await writeFile(path.join(dir, '3_bad.cql'), 'CREATE TABLE c (k int PRIMARY KEY);');
      await expect(loadMigrations(dir)).rejects.toThrow(/001_name\.cql/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the package ships its own migrations, each with statements', async () => {
    const own = await loadMigrations();
    expect(own.map((m) => m.name)).toEqual(['001_message_tables', '002_message_lookups', '003_send_claims', '004_platform_message_refs', '005_send_claims_ttl']);
    // Every statement can run twice: tables are created only if missing, and table options are set, not toggled.
    for (const m of own) expect(m.statements.every((s) => /^(CREATE TABLE IF NOT EXISTS |ALTER TABLE \w+ WITH )/.test(s))).toBe(true);
  });
});
