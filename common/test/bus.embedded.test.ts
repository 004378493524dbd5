import { spawnSync } from 'node:child_process';
import fsPromises, { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeBusContract } from '../src/bus/contract';
import { createEmbeddedBus, ensureEmbeddedTopics, verifyEmbeddedTopics } from '../src/bus/embedded';
import { DataDirLockedError } from '../src/data-dir-lock';
import type { BusRecord } from '../src/bus/port';
import { createLogger } from '../src/logging';

const log = createLogger('bus-embedded-test', process.env.TEST_LOG_LEVEL ?? 'error');
const freshDir = () => mkdtemp(path.join(tmpdir(), 'chat4all-bus-'));

describeBusContract('embedded', async () => {
  const dataDir = await freshDir();
  const bus = createEmbeddedBus({ dataDir, log, pollIntervalMs: 50 });
  return {
    bus,
    createTopic: async (name, partitions) => void (await ensureEmbeddedTopics(dataDir, [name], { partitions })),
    cleanup: () => rm(dataDir, { recursive: true, force: true }),
  };
});

async function waitFor(what: string, predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('embedded bus on disk', () => {
  let dataDir: string;
  beforeEach(async () => void (dataDir = await freshDir()));
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  test('ensureEmbeddedTopics creates only what is missing and verifyEmbeddedTopics names a missing topic', async () => {
    expect(await verifyEmbeddedTopics(dataDir, ['t1'])).toEqual(['embedded bus topic t1']);
    expect(await ensureEmbeddedTopics(dataDir, ['t1'], { partitions: 3 })).toEqual(['t1']);
    expect(await ensureEmbeddedTopics(dataDir, ['t1'], { partitions: 3 })).toEqual([]);
    expect(await verifyEmbeddedTopics(dataDir, ['t1'])).toEqual([]);
  });

  test('after a restart, records and committed offsets are kept: nothing lost, nothing committed redelivered', async () => {
    await ensureEmbeddedTopics(dataDir, ['t'], { partitions: 2 });
    const first = createEmbeddedBus({ dataDir, log });
    await first.publish('t', [0, 1, 2].map((n) => ({ key: 'k', value: `e${n}` })));
    const seen: string[] = [];
    const sub = await first.subscribe({
      groupId: 'g',
      topics: ['t'],
      fromBeginning: true,
      retry: { initialDelayMs: 10, maxDelayMs: 10 },
      handler: async (r) => {
        seen.push(r.value.toString());
        if (r.value.toString() === 'e2') throw new Error('not yet');
      },
    });
    await waitFor('e2 retried', () => seen.filter((v) => v === 'e2').length >= 2);
    await sub.stop();
    await first.publish('t', [{ key: 'k', value: 'e3' }, { key: 'other', value: 'o0' }]);
    await first.close();

    const second = createEmbeddedBus({ dataDir, log });
    const received: BusRecord[] = [];
    const again = await second.subscribe({ groupId: 'g', topics: ['t'], handler: async (r) => void received.push(r) });
    await waitFor('e3 and o0', () => received.length >= 3);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await again.stop();
    expect(received.filter((r) => r.key === 'k').map((r) => r.value.toString())).toEqual(['e2', 'e3']);
    expect(received.filter((r) => r.key === 'other').map((r) => r.value.toString())).toEqual(['o0']);
    expect(received.find((r) => r.value.toString() === 'e2')!.offset).toBe('2');
    await second.close();
  });

  test('consumers and readers get only records whose append completed: lines still being synced are not handed out', async () => {
    await ensureEmbeddedTopics(dataDir, ['t'], { partitions: 1 });
    const bus = createEmbeddedBus({ dataDir, log, pollIntervalMs: 20 });
    await bus.publish('t', [{ key: 'k', value: 'synced' }]);
    // The bytes of an append between its write and its fsync (which may still fail and cut them off): complete lines
    // on the file, not counted as appended.
    const pending = { k: 'k', v: Buffer.from('not yet synced').toString('base64'), h: {} };
    await fsPromises.appendFile(path.join(dataDir, 'topics', 't', '0.log'), `${JSON.stringify(pending)}\n`);
    const consumed: string[] = [];
    const read: string[] = [];
    const sub = await bus.subscribe({ groupId: 'g', topics: ['t'], fromBeginning: true, handler: async (r) => void consumed.push(r.value.toString()) });
    const reader = await bus.read({ topic: 't', from: { 0: '0' }, handler: async (r) => void read.push(r.value.toString()) });
    try {
      await waitFor('the synced record', () => consumed.length >= 1 && read.length >= 1);
      await new Promise((resolve) => setTimeout(resolve, 300)); // a few polls
      expect(consumed).toEqual(['synced']);
      expect(read).toEqual(['synced']);
    } finally {
      await reader.stop();
      await sub.stop();
      await bus.close();
    }
  });

  test('a second opener of a live data folder is refused; a closed or stale one is taken over', async () => {
    const bus = createEmbeddedBus({ dataDir, log });
    expect(() => createEmbeddedBus({ dataDir, log })).toThrow(DataDirLockedError);
    await bus.close();
    const reopened = createEmbeddedBus({ dataDir, log });
    await reopened.close();

    // A lock left behind by a process that no longer runs does not block.
    const dead = spawnSync(process.execPath, ['-e', `require('fs').writeFileSync(${JSON.stringify(path.join(dataDir, 'bus.lock'))}, String(process.pid))`]);
    expect(dead.status).toBe(0);
    const afterCrash = createEmbeddedBus({ dataDir, log });
    await afterCrash.close();
  });

  test('idle consumers wait for a publish or the poll instead of spinning, and a publish wakes them at once', async () => {
    await ensureEmbeddedTopics(dataDir, ['idle'], { partitions: 6 });
    // A poll far beyond the test: only the publish can wake the consumers in time (no wall-clock bound needed).
    const bus = createEmbeddedBus({ dataDir, log, pollIntervalMs: 600_000 });
    const seen: string[] = [];
    for (const groupId of ['g1', 'g2', 'g3']) {
      await bus.subscribe({ groupId, topics: ['idle'], concurrency: 3, handler: async (r) => void seen.push(`${groupId}:${r.value.toString()}`) });
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Three groups over six idle partitions for a second: no drain runs (each begins by reading its group's committed
    // offsets), where a busy loop would run thousands. Counted, not timed: the jest worker's CPU over a second also
    // holds whatever else it does then, on a machine running other suites beside it.
    const drains = jest.spyOn(fsPromises, 'readFile');
    const groupReads = () => drains.mock.calls.filter(([file]) => String(file).includes(`${path.sep}groups${path.sep}`)).length;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const idleDrains = groupReads();
    await bus.publish('idle', [{ key: 'k', value: 'wake up' }]);
    await waitFor('every group to see the record', () => seen.length === 3);
    const wokenDrains = groupReads() - idleDrains;
    drains.mockRestore();
    expect(idleDrains).toBe(0);
    // The count sees drains: the publish woke one in each group.
    expect(wokenDrains).toBeGreaterThanOrEqual(3);
    expect(seen.sort()).toEqual(['g1:wake up', 'g2:wake up', 'g3:wake up']);
    await bus.close();
  });
});
