import { MAX_PUBLISHING, publishAt } from '../src/subscriptions/publisher';

test('publishes every event, never more than MAX_PUBLISHING at once, even when they are due faster than they finish', async () => {
  let underWay = 0;
  let most = 0;
  const publishOne = async () => {
    underWay++;
    most = Math.max(most, underWay);
    await new Promise((resolve) => setTimeout(resolve, 20));
    underWay--;
  };
  // 3 × MAX_PUBLISHING events all due at once (a billion a second), each taking 20 ms.
  const count = await publishAt(1e9, (MAX_PUBLISHING * 3) / 1e9, publishOne);
  expect(count).toBe(MAX_PUBLISHING * 3);
  expect(most).toBe(MAX_PUBLISHING);
  expect(underWay).toBe(0);
});

test('a failed publication fails the phase once every event is settled, saying how many failed and why', async () => {
  let settled = 0;
  let calls = 0;
  const publishOne = async () => {
    const n = calls++;
    await new Promise((resolve) => setTimeout(resolve, 5));
    settled++;
    if (n % 2 === 1) throw new Error('all connections are busy');
  };
  await expect(publishAt(1000, 0.01, publishOne)).rejects.toThrow('5 of 10 benchmark events could not be published; the first: Error: all connections are busy');
  expect(settled).toBe(10);
});
