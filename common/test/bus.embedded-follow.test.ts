import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createEmbeddedBus, ensureEmbeddedTopics, followEmbeddedTopic } from '../src/bus/embedded';
import { createLogger } from '../src/logging';

const log = createLogger('bus-embedded-follow-test', process.env.TEST_LOG_LEVEL ?? 'silent');
let dataDir: string;

beforeEach(async () => void (dataDir = await mkdtemp(path.join(tmpdir(), 'chat4all-bus-follow-'))));
afterEach(() => rm(dataDir, { recursive: true, force: true }));

describe('followEmbeddedTopic (read-only, beside the owning bus)', () => {
  test('reads nothing before the topic exists, then each record once, as it is published, partitions in order', async () => {
    const follower = followEmbeddedTopic(dataDir, 't');
    expect(await follower.poll()).toEqual([]);
    await ensureEmbeddedTopics(dataDir, ['t'], { partitions: 2 });
    const bus = createEmbeddedBus({ dataDir, log });
    try {
      await bus.publish('t', ['a', 'b', 'c', 'd'].flatMap((k) => [0, 1].map((n) => ({ key: k, value: `${k}${n}`, headers: { n: String(n) } }))));
      const first = await follower.poll();
      expect(first).toHaveLength(8);
      for (const key of ['a', 'b', 'c', 'd']) {
        const own = first.filter((r) => r.key === key);
        expect(own.map((r) => [r.value.toString(), r.headers.n])).toEqual([
          [`${key}0`, '0'],
          [`${key}1`, '1'],
        ]);
        expect(new Set(own.map((r) => r.partition)).size).toBe(1);
      }
      expect(await follower.poll()).toEqual([]);
      await bus.publish('t', [{ key: 'a', value: 'a2' }]);
      expect((await follower.poll()).map((r) => r.value.toString())).toEqual(['a2']);
    } finally {
      await bus.close();
    }
  });

  test('a line still being appended is read once it is complete', async () => {
    await ensureEmbeddedTopics(dataDir, ['t'], { partitions: 1 });
    const follower = followEmbeddedTopic(dataDir, 't');
    const line = JSON.stringify({ k: 'k', v: Buffer.from('whole').toString('base64'), h: {} });
    const file = path.join(dataDir, 'topics', 't', '0.log');
    await appendFile(file, line.slice(0, 10));
    expect(await follower.poll()).toEqual([]);
    await appendFile(file, `${line.slice(10)}\n`);
    expect((await follower.poll()).map((r) => [r.offset, r.value.toString()])).toEqual([['0', 'whole']]);
  });
});
