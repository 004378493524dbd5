import { ReusedDownloadUrls } from '../src/store/reused-urls';

/** A signer that writes what it was asked into the URL, counting its calls; `failNext` makes the next one reject. */
class CountingSigner {
  calls = 0;
  failNext = false;
  constructor(private readonly clock: () => number) {}
  async presignGet(key: string, ttlSeconds: number): Promise<string> {
    this.calls += 1;
    if (this.failNext) {
      this.failNext = false;
      throw new Error('signing failed');
    }
    return `https://s3.test/${key}?signedAt=${this.clock()}&expires=${ttlSeconds}`;
  }
}

const lifetime = (url: string) => Number(new URL(url).searchParams.get('expires'));
const signedAt = (url: string) => Number(new URL(url).searchParams.get('signedAt'));

describe('ReusedDownloadUrls', () => {
  let now = 1_000_000;
  const clock = () => now;
  let signer: CountingSigner;

  beforeEach(() => {
    now = 1_000_000;
    signer = new CountingSigner(clock);
  });

  it('signs a file once per reuse window, each URL handed out still valid for the lifetime asked', async () => {
    const urls = new ReusedDownloadUrls(signer, { reuseSeconds: 60, maxEntries: 100, now: clock });
    const first = await urls.presignGet('files/a', 900);
    expect(lifetime(first)).toBe(961); // 900 asked + 60 of reuse + 1 s margin
    now += 59_999;
    const again = await urls.presignGet('files/a', 900);
    expect(again).toBe(first);
    // Handed out at the end of the window, it still works for the lifetime asked.
    expect(signedAt(again) + lifetime(again) * 1000 - now).toBeGreaterThanOrEqual(900_000);
    expect(signer.calls).toBe(1);

    now += 1;
    const renewed = await urls.presignGet('files/a', 900);
    expect(renewed).not.toBe(first);
    expect(signer.calls).toBe(2);
  });

  it('keeps files, and lifetimes, apart', async () => {
    const urls = new ReusedDownloadUrls(signer, { reuseSeconds: 60, maxEntries: 100, now: clock });
    const a = await urls.presignGet('files/a', 900);
    const b = await urls.presignGet('files/b', 900);
    const shortA = await urls.presignGet('files/a', 60);
    expect(new Set([a, b, shortA]).size).toBe(3);
    expect(lifetime(shortA)).toBe(121);
    expect(signer.calls).toBe(3);
  });

  it('keeps at most maxEntries URLs, the least recently used out', async () => {
    const urls = new ReusedDownloadUrls(signer, { reuseSeconds: 60, maxEntries: 2, now: clock });
    await urls.presignGet('files/a', 900);
    await urls.presignGet('files/b', 900);
    await urls.presignGet('files/a', 900); // a is now the most recent
    await urls.presignGet('files/c', 900); // evicts b
    expect(signer.calls).toBe(3);
    await urls.presignGet('files/a', 900);
    expect(signer.calls).toBe(3);
    await urls.presignGet('files/b', 900);
    expect(signer.calls).toBe(4);
  });

  it('signs every time as asked when reuse is off, or when the lifetime leaves no room within seven days', async () => {
    const off = new ReusedDownloadUrls(signer, { reuseSeconds: 0, maxEntries: 100, now: clock });
    expect(lifetime(await off.presignGet('files/a', 900))).toBe(900);
    await off.presignGet('files/a', 900);
    expect(signer.calls).toBe(2);

    const week = 7 * 24 * 3600;
    const urls = new ReusedDownloadUrls(signer, { reuseSeconds: 60, maxEntries: 100, now: clock });
    expect(lifetime(await urls.presignGet('files/a', week))).toBe(week);
    await urls.presignGet('files/a', week);
    expect(signer.calls).toBe(4);
  });

  it('keeps no failure: the next call signs afresh', async () => {
    const urls = new ReusedDownloadUrls(signer, { reuseSeconds: 60, maxEntries: 100, now: clock });
    signer.failNext = true;
    await expect(urls.presignGet('files/a', 900)).rejects.toThrow('signing failed');
    const url = await urls.presignGet('files/a', 900);
    expect(lifetime(url)).toBe(961);
    expect(signer.calls).toBe(2);
  });
});
