import { newClusterId } from '../src/engines/kafka';

describe('newClusterId', () => {
  it('is 16 bytes in base64url, as StorageTool random-uuid prints them', () => {
    const id = newClusterId();
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Buffer.from(id, 'base64url')).toHaveLength(16);
  });

  it('never starts with "-" (StorageTool would take `-t -…` for an option): draws again', () => {
    // 0xf8 encodes to "-" as the first base64url character; the second draw does not.
    const draws = [Buffer.alloc(16, 0xf8), Buffer.alloc(16, 0x41)];
    const id = newClusterId(() => draws.shift()!);
    expect(id).toBe(Buffer.alloc(16, 0x41).toString('base64url'));
    expect(draws).toHaveLength(0);
    expect(Buffer.alloc(16, 0xf8).toString('base64url').startsWith('-')).toBe(true);
  });
});
