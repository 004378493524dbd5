import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createEmbeddedBus, ensureEmbeddedTopics } from '../src/bus/embedded';
import { repairTail } from '../src/bus/embedded-repair';
import type { BusRecord } from '../src/bus/port';
import { createLogger } from '../src/logging';

const log = createLogger('bus-embedded-repair-test', process.env.TEST_LOG_LEVEL ?? 'silent');
let dataDir: string;
// One partition, so every record lands in 0.log.
const logFile = () => path.join(dataDir, 'topics', 't', '0.log');

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'chat4all-bus-repair-'));
  await ensureEmbeddedTopics(dataDir, ['t'], { partitions: 1 });
});
afterEach(() => rm(dataDir, { recursive: true, force: true }));

async function publishAndClose(values: string[]): Promise<void> {
  const bus = createEmbeddedBus({ dataDir, log });
  await bus.publish('t', values.map((value) => ({ key: 'k', value })));
  await bus.close();
}

/** Every record of the topic from offset 0, read by a fresh reader of an open bus. */
async function readAll(bus: ReturnType<typeof createEmbeddedBus>, expected: number): Promise<BusRecord[]> {
  const records: BusRecord[] = [];
  const reader = await bus.read({ topic: 't', from: { 0: '0' }, handler: async (r) => void records.push(r) });
  const deadline = Date.now() + 3_000;
  while (records.length < expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  await new Promise((resolve) => setTimeout(resolve, 100)); // nothing more than expected comes
  await reader.stop();
  return records;
}

const lines = async () => (await readFile(logFile(), 'utf8')).split('\n');

describe('embedded bus: a torn last line left by a crash mid-append', () => {
  test('is cut off at open; the next publish starts a line of its own and everything reads back', async () => {
    await publishAndClose(['e0', 'e1']);
    // What a crash half-way through appending a record leaves: the start of its JSON, no newline.
    await appendFile(logFile(), '{"k":"k","v":"ZTI');

    const bus = createEmbeddedBus({ dataDir, log });
    try {
      await bus.publish('t', [{ key: 'k', value: 'e3' }]);
      const records = await readAll(bus, 3);
      expect(records.map((r) => [r.offset, r.value.toString()])).toEqual([
        ['0', 'e0'],
        ['1', 'e1'],
        ['2', 'e3'],
      ]);
      expect(await bus.offsets('t')).toEqual([{ partition: 0, oldest: '0', end: '3' }]);
    } finally {
      await bus.close();
    }
    expect(await lines()).toHaveLength(4); // three records and the empty string after the last newline
  });

  test('a tail of zero bytes (a file extended but never written) is cut off too', async () => {
    await publishAndClose(['e0']);
    await appendFile(logFile(), Buffer.alloc(4096));
    const bus = createEmbeddedBus({ dataDir, log });
    try {
      await bus.publish('t', [{ key: 'k', value: 'e1' }]);
      expect((await readAll(bus, 2)).map((r) => r.value.toString())).toEqual(['e0', 'e1']);
    } finally {
      await bus.close();
    }
  });

  test('never removes a complete record: intact logs stay byte for byte, a whole record missing its newline is kept', async () => {
    await publishAndClose(['e0', 'e1']);
    const intact = await readFile(logFile());
    await createEmbeddedBus({ dataDir, log }).close();
    expect(await readFile(logFile())).toEqual(intact);

    const whole = JSON.stringify({ k: 'k', v: Buffer.from('e2').toString('base64'), h: {} });
    await appendFile(logFile(), whole);
    const bus = createEmbeddedBus({ dataDir, log });
    try {
      await bus.publish('t', [{ key: 'k', value: 'e3' }]);
      expect((await readAll(bus, 4)).map((r) => r.value.toString())).toEqual(['e0', 'e1', 'e2', 'e3']);
    } finally {
      await bus.close();
    }
  });

  test('repairTail finds the last newline across read chunks and reports what it did', async () => {
    const file = path.join(dataDir, 'big.log');
    const record = 'x'.repeat(100_000);
    await writeFile(file, `${record}\n${'y'.repeat(150_000)}`);
    expect(repairTail(file, () => false)).toEqual({ kind: 'truncated', bytes: 150_000 });
    expect(await readFile(file, 'utf8')).toBe(`${record}\n`);
    expect(repairTail(file, () => false)).toEqual({ kind: 'intact' });

    await writeFile(file, 'z'.repeat(70_000)); // no newline at all: the only line is torn
    expect(repairTail(file, () => false)).toEqual({ kind: 'truncated', bytes: 70_000 });
    expect(await readFile(file, 'utf8')).toBe('');
    expect(repairTail(file, () => false)).toEqual({ kind: 'intact' });
  });
});
