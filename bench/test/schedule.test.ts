import { runArrivals } from '../src/load/schedule';

/** A send that takes `ms` and tracks how many are under way at once. */
function slowSends(ms: number) {
  const seen = { underWay: 0, most: 0, sent: [] as number[], dues: [] as number[], at: [] as number[] };
  const send = async (index: number, due: number) => {
    seen.underWay++;
    seen.most = Math.max(seen.most, seen.underWay);
    seen.sent.push(index);
    seen.dues.push(due);
    seen.at.push(performance.now());
    await new Promise((resolve) => setTimeout(resolve, ms));
    seen.underWay--;
  };
  return { seen, send };
}

test('sends each request at its due time, in order, and passes its place in the schedule as its due time', async () => {
  const { seen, send } = slowSends(1);
  const before = performance.now();
  const { start, dropped } = await runArrivals({ rate: 200, total: 20, maxInFlight: 100 }, send);
  expect(dropped).toBe(0);
  expect(seen.sent).toEqual([...Array(20).keys()]);
  expect(start).toBeGreaterThanOrEqual(before);
  seen.dues.forEach((due, i) => expect(due).toBeCloseTo(start + i * 5, 6));
  // None goes out before its time.
  seen.at.forEach((at, i) => expect(at).toBeGreaterThanOrEqual(seen.dues[i]!));
  // 20 requests at 200/s: the last is due 95 ms after the start, so the run cannot end sooner.
  expect(performance.now() - start).toBeGreaterThanOrEqual(95);
});

test('drops and counts what is due beyond maxInFlight by default, never sending more at once', async () => {
  const { seen, send } = slowSends(500);
  // 100 requests due within 10 ms, each taking 500 ms: only the first 10 find room.
  const { dropped } = await runArrivals({ rate: 10_000, total: 100, maxInFlight: 10 }, send);
  expect(seen.most).toBe(10);
  expect(dropped).toBe(100 - seen.sent.length);
  expect(dropped).toBeGreaterThanOrEqual(80);
  expect(seen.underWay).toBe(0);
});

test('with whenFull wait, sends every request, never more than maxInFlight at once, in order', async () => {
  const { seen, send } = slowSends(20);
  const { start, dropped } = await runArrivals({ rate: 1e9, total: 50, maxInFlight: 10, whenFull: 'wait' }, send);
  expect(dropped).toBe(0);
  expect(seen.sent).toEqual([...Array(50).keys()]);
  expect(seen.most).toBe(10);
  expect(seen.underWay).toBe(0);
  // A late request keeps its place in the schedule as its due time (all were due at once).
  expect(Math.max(...seen.dues) - start).toBeLessThan(1);
});

test('a rejected send rejects the run with the first error, once every request has settled', async () => {
  let settled = 0;
  const send = async (index: number) => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    settled++;
    if (index % 3 === 2) throw new Error(`request ${index} failed`);
  };
  await expect(runArrivals({ rate: 1000, total: 9, maxInFlight: 4, whenFull: 'wait' }, send)).rejects.toThrow('request 2 failed');
  expect(settled).toBe(9);
});
