import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DataDirLockedError } from '@chat4all/common';
import { loadServiceConfig } from '../src/config';
import { openUserStore } from '../src/store/open';

// The factory the service (and `npm start`) uses: CHAT4ALL_PROFILE=embedded picks PGlite in <CHAT4ALL_DATA_DIR>/users,
// migrated on open. The PostgreSQL choice is tested beside the PostgreSQL adapter (store.postgres.int.test.ts).
jest.setTimeout(120_000);

describe('openUserStore in the embedded profile', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chat4all-data-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('opens PGlite in <CHAT4ALL_DATA_DIR>/users with no migration step, owned by this process alone', async () => {
    const config = loadServiceConfig({ CHAT4ALL_PROFILE: 'embedded', CHAT4ALL_DATA_DIR: dataDir });
    const store = await openUserStore(config);
    try {
      expect(await store.checkConnection()).toEqual([]);
      const user = await store.repository.createUser({ username: 'embedded_ada', displayName: 'Ada', passwordHash: 'h' });
      expect(await store.repository.findUserByUsername('EMBEDDED_ADA')).toEqual(user);
      expect(existsSync(path.join(dataDir, 'users', 'pgdata', 'PG_VERSION'))).toBe(true);
      await expect(openUserStore(config)).rejects.toBeInstanceOf(DataDirLockedError);
    } finally {
      await store.repository.close();
    }
    const reopened = await openUserStore(config);
    expect(await reopened.repository.findUserByUsername('embedded_ada')).not.toBeNull();
    await reopened.repository.close();
  });
});
