import { AsyncLocalStorage } from 'node:async_hooks';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { MikroORM } from '@mikro-orm/core';
import { DataDirLockedError } from '@chat4all/common';
import { describeUserRepositoryContract } from '../src/store/contract';
import { openPgliteUserRepository, pgliteOrmOptions, PGLITE_DATA_SUBDIR } from '../src/store/pglite';

// The embedded users store: the same contract as PostgreSQL, on a fresh temporary folder; no engine needed.
jest.setTimeout(120_000);

const folders: string[] = [];
function freshFolder(): string {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chat4all-users-'));
  folders.push(dataDir);
  return dataDir;
}
afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

describeUserRepositoryContract('PGlite (MikroORM)', async () => {
  let statements = 0;
  const repository = await openPgliteUserRepository(freshFolder(), { onQuery: () => statements++ });
  return { repository, statementCount: () => statements };
});

describe('the MikroORM users store and async context', () => {
  // On Node 20 the first run (or enterWith) of any AsyncLocalStorage turns promise hooks on for the whole process, for
  // good: every promise of every later request pays for them. No repository call may start one.
  it('enters no AsyncLocalStorage, writes, failed writes and reads alike', async () => {
    const repository = await openPgliteUserRepository(freshFolder());
    // Counted by hand: a jest spy would keep (and print) the arguments, whole entity managers.
    const { run, enterWith } = AsyncLocalStorage.prototype;
    const entered: string[] = [];
    AsyncLocalStorage.prototype.run = function (this: AsyncLocalStorage<unknown>, ...args: Parameters<typeof run>) {
      entered.push('run');
      return run.apply(this, args);
    } as typeof run;
    AsyncLocalStorage.prototype.enterWith = function (this: AsyncLocalStorage<unknown>, store: unknown) {
      entered.push('enterWith');
      enterWith.call(this, store);
    };
    try {
      const ada = await repository.createUser({ username: 'ada', displayName: 'Ada', passwordHash: 'h1' });
      const bob = await repository.createUser({ username: 'bob', displayName: 'Bob', passwordHash: 'h2' });
      const conversation = await repository.createConversation({ title: 'hooks', memberIds: [ada.id] });
      await expect(repository.createConversation({ title: 'x', memberIds: [ada.id, '00000000-0000-4000-8000-000000000000'] })).rejects.toThrow(/no user/);
      await repository.addMember(conversation.id, bob.id);
      await repository.removeMember(conversation.id, bob.id);
      await repository.touchConversations([{ conversationId: conversation.id, at: new Date(Date.now() + 60_000) }]);
      await repository.findConversationsForMembers([{ conversationId: conversation.id, userId: ada.id }]);
      await repository.listConversationsForUser(ada.id, { first: 5 });
      expect(await repository.memberIds(conversation.id)).toEqual([ada.id]);
      expect(entered).toEqual([]);
    } finally {
      AsyncLocalStorage.prototype.run = run;
      AsyncLocalStorage.prototype.enterWith = enterWith;
      await repository.close();
    }
  });
});

describe('PGlite users store on disk', () => {
  const dataDir = freshFolder();

  it('keeps users, conversations and members across a close and reopen of the same folder', async () => {
    const first = await openPgliteUserRepository(dataDir);
    const ada = await first.createUser({ username: 'Ada', displayName: 'Ada Lovelace', passwordHash: 'h1' });
    const bob = await first.createUser({ username: 'bob', displayName: 'Bob', passwordHash: 'h2' });
    const conversation = await first.createConversation({ title: 'kept', memberIds: [ada.id, bob.id] });
    const later = new Date(Date.now() + 60_000);
    await first.touchConversation(conversation.id, later);
    await first.removeMember(conversation.id, bob.id);
    await first.close();
    expect(existsSync(path.join(dataDir, 'users.lock'))).toBe(false);

    const second = await openPgliteUserRepository(dataDir);
    try {
      expect(await second.checkConnection()).toEqual([]);
      expect(await second.findUserByUsername('ada')).toEqual(ada);
      expect(await second.memberIds(conversation.id)).toEqual([ada.id]);
      expect((await second.listConversationsForUser(ada.id, { first: 5 })).items).toEqual([{ ...conversation, lastActivityAt: later }]);
      // The unique index came back too: the schema was not created anew.
      await expect(second.createUser({ username: 'ADA', displayName: 'x', passwordHash: 'h' })).rejects.toThrow(/already taken/);
    } finally {
      await second.close();
    }
  });

  it('refuses a second opener of an open folder with a clear error, and opens again once it is closed', async () => {
    const owner = await openPgliteUserRepository(dataDir);
    try {
      const second = openPgliteUserRepository(dataDir);
      await expect(second).rejects.toBeInstanceOf(DataDirLockedError);
      await expect(second).rejects.toThrow(`users data folder ${dataDir} is in use by process ${process.pid}`);
      // The refused opener left the owner's lock and data alone.
      expect(await owner.findUserByUsername('ada')).not.toBeNull();
    } finally {
      await owner.close();
    }
    const again = await openPgliteUserRepository(dataDir);
    await again.close();
  });

  it('keeps what a crashed (SIGKILLed) process wrote, and takes over its stale lock', async () => {
    const child = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'support/pglite-crash.ts'), dataDir], {
      encoding: 'utf8',
      timeout: 90_000,
    });
    expect(child.signal).toBe('SIGKILL');
    expect(existsSync(path.join(dataDir, 'users.lock'))).toBe(true);
    const { userId, conversationId } = JSON.parse(child.stdout) as { userId: string; conversationId: string };

    const reopened = await openPgliteUserRepository(dataDir);
    try {
      expect(await reopened.findUserById(userId)).toMatchObject({ displayName: 'before the crash' });
      expect(await reopened.memberIds(conversationId)).toEqual([userId]);
    } finally {
      await reopened.close();
    }
  });

  it('applied the same migrations as PostgreSQL, once, leaving a schema that matches the entities exactly', async () => {
    // The folder the first test of this block created and migrated, reopened since.
    const pglite = await PGlite.create(path.join(dataDir, PGLITE_DATA_SUBDIR));
    const orm = await MikroORM.init(pgliteOrmOptions(pglite));
    try {
      const applied: { name: string }[] = await orm.em.getConnection().execute('select name from mikro_orm_migrations order by id');
      expect(applied.map((row) => row.name)).toEqual(['Migration20261126000000Initial']);
      expect(await orm.getMigrator().getPendingMigrations()).toEqual([]);
      expect(await orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false })).toBe('');
    } finally {
      await orm.close();
      await pglite.close();
    }
  });

  it('starts over a lock file left by a process that no longer runs', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(path.join(dataDir, 'users.lock'), dead.stdout);
    const repository = await openPgliteUserRepository(dataDir);
    await repository.close();
  });
});
