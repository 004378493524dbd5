import { createJwtService, type JwtService } from '@chat4all/common';
import { cachingVerifier } from '../src/auth';
import { jwtConfig } from './fixtures/test-supergraph';

/** The real verifier, counting how often a signature is actually checked. */
function counted(): { jwt: JwtService; calls: () => number } {
  const jwt = createJwtService(jwtConfig);
  let calls = 0;
  return {
    jwt: { ...jwt, verify: (token) => ((calls += 1), jwt.verify(token)) },
    calls: () => calls,
  };
}

describe('the gateway’s verified-token cache', () => {
  it('checks a token’s signature once while it is valid, and again once it has expired', async () => {
    const { jwt, calls } = counted();
    let clock = Date.now();
    const verifier = cachingVerifier(jwt, 10, () => clock);
    const token = await jwt.issue('u-1', 'alice');
    expect(await verifier.verify(token)).toEqual({ userId: 'u-1', username: 'alice' });
    expect(await verifier.verify(token)).toEqual({ userId: 'u-1', username: 'alice' });
    expect(calls()).toBe(1);
    // Past its exp (TTL 3600 s) the cached answer is not used: the real check runs (and here still passes on the real clock).
    clock += 3601 * 1000;
    await verifier.verify(token);
    expect(calls()).toBe(2);
  });

  it('never caches a refusal: a bad token is refused every time', async () => {
    const { jwt, calls } = counted();
    const verifier = cachingVerifier(jwt, 10);
    const forged = await createJwtService({ ...jwtConfig, JWT_SECRET: 'another-secret-entirely-0123456789abcdef' }).issue('u-1', 'mallory');
    await expect(verifier.verify(forged)).rejects.toThrow('bad signature');
    await expect(verifier.verify(forged)).rejects.toThrow('bad signature');
    // The same claims under the right key are a different token text: no answer leaks between them.
    expect(await verifier.verify(await jwt.issue('u-1', 'mallory'))).toEqual({ userId: 'u-1', username: 'mallory' });
    expect(calls()).toBe(3);
  });

  it('holds at most maxEntries tokens (least recently used go first), and 0 turns it off', async () => {
    const { jwt, calls } = counted();
    const verifier = cachingVerifier(jwt, 2);
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((name) => jwt.issue(`u-${name}`, name)));
    await verifier.verify(a!);
    await verifier.verify(b!);
    await verifier.verify(a!); // a is now the most recent
    await verifier.verify(c!); // evicts b
    expect(calls()).toBe(3);
    await verifier.verify(a!);
    expect(calls()).toBe(3);
    await verifier.verify(b!);
    expect(calls()).toBe(4);

    const off = counted();
    const uncached = cachingVerifier(off.jwt, 0);
    await uncached.verify(a!);
    await uncached.verify(a!);
    expect(off.calls()).toBe(2);
  });
});
