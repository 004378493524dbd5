import { ServiceProcess, freePort, waitFor } from '../../common/test/support/processes';
import { Subscribers } from '../src/subscriptions/clients';
import { FloorPublisher } from '../src/subscriptions/publisher';

// The benchmark's subscriber process against the fan-out floor (no engines needed): what a phase publishes right
// after its reset is what it counts, whatever order the process reads its IPC channel and its sockets in.

const COUNT = 20;
let floor: ServiceProcess;
let publisher: FloorPublisher;
let subscribers: Subscribers;

beforeAll(async () => {
  const port = await freePort();
  floor = new ServiceProcess('fan-out-floor', 'bench/src/subscriptions/floor-server.ts', { PORT: String(port) });
  await floor.waitForLine((line) => line.msg === 'fan-out floor server ready', 60_000);
  publisher = new FloorPublisher(`http://127.0.0.1:${port}/event`);
  subscribers = await Subscribers.start({ wsUrl: `ws://127.0.0.1:${port}/graphql`, token: 'unused', conversationId: 'c1', count: COUNT, connectConcurrency: 10 }, 60_000);
}, 90_000);

afterAll(async () => {
  await subscribers?.close();
  await floor?.stop();
});

test('every subscriber connects', () => {
  expect(subscribers.ready).toMatchObject({ subscribed: COUNT, failed: 0 });
});

test('each phase counts exactly the events published after its reset, none lost to the reset and none from before it', async () => {
  for (let round = 1; round <= 30; round++) {
    // The previous round's event may still be on its way; it must land in fromEarlier, not in this round.
    await publisher.publishOne();
    await new Promise((resolve) => setTimeout(resolve, 2));
    await subscribers.reset();
    // Published the moment the reset is acknowledged: the first events race the reset no more.
    await Promise.all([publisher.publishOne(), publisher.publishOne()]);
    await waitFor(`round ${round}'s deliveries`, async () => (await subscribers.report()).deliveries >= 2 * COUNT, 10_000, undefined, 10);
    // A moment more: nothing beyond the two events may be counted.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const report = await subscribers.report();
    expect({ round, deliveries: report.deliveries, reached: report.reached, errors: report.errors }).toEqual({ round, deliveries: 2 * COUNT, reached: COUNT, errors: 0 });
  }
}, 120_000);
