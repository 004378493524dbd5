/** Runs `work` for 0..count-1 with at most `limit` calls in flight (seeding thousands of rows without a flood). */
export async function forEachBounded(count: number, limit: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}
