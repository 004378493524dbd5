import crypto from 'node:crypto';
import { verifyIdentity } from '@chat4all/common';
import { applyIdentityHeaders, IDENTITY_HEADER_PREFIX } from '../src/subgraphs/data-source';

const KEY = 'identity-key-for-tests-0123456789abcdef';

function sign(identity: { userId: string; username: string } | null, key = KEY, start = new Headers()): Headers {
  applyIdentityHeaders(start, identity, key);
  return start;
}

describe('identity headers on subgraph fetches', () => {
  afterEach(() => jest.useRealTimers());

  it('signs the caller so the subgraph verifies it, and drops identity headers that came from elsewhere', () => {
    const forged = new Headers({ [`${IDENTITY_HEADER_PREFIX}`]: 'forged', [`${IDENTITY_HEADER_PREFIX}-signature`]: 'forged', other: 'kept' });
    const headers = sign({ userId: 'u1', username: 'alice' }, KEY, forged);
    expect(verifyIdentity(headers, KEY)).toMatchObject({ kind: 'user', userId: 'u1', username: 'alice' });
    expect(headers.get('other')).toBe('kept');
    const anonymous = sign(null, KEY, new Headers({ [IDENTITY_HEADER_PREFIX]: 'forged' }));
    expect([...anonymous.keys()].filter((name) => name.startsWith(IDENTITY_HEADER_PREFIX))).toEqual([]);
  });

  it('reuses one signature per caller and second, and signs anew for another second, key or caller', () => {
    jest.useFakeTimers({ now: new Date('2026-12-03T12:00:00.100Z') });
    const hmacs = jest.spyOn(crypto, 'createHmac');
    const caller = { userId: 'u1', username: 'alice' };
    const first = sign(caller);
    jest.setSystemTime(new Date('2026-12-03T12:00:00.900Z'));
    expect(Object.fromEntries(sign(caller))).toEqual(Object.fromEntries(first));
    // The same caller in another request (its own object, from the token): the same headers, no signing.
    expect(Object.fromEntries(sign({ ...caller }))).toEqual(Object.fromEntries(first));
    expect(hmacs).toHaveBeenCalledTimes(1);
    hmacs.mockRestore();
    // Another key must never get the cached signature.
    expect(() => verifyIdentity(sign(caller, `${KEY}-other`), KEY)).toThrow('identity signature is invalid');
    expect(verifyIdentity(sign({ userId: 'u2', username: 'bob' }), KEY)).toMatchObject({ userId: 'u2' });
    jest.setSystemTime(new Date('2026-12-03T12:00:01.000Z'));
    const later = sign(caller);
    expect(verifyIdentity(later, KEY)).toMatchObject({ userId: 'u1', iat: Date.parse('2026-12-03T12:00:01Z') / 1000 });
    expect(later.get(IDENTITY_HEADER_PREFIX)).not.toBe(first.get(IDENTITY_HEADER_PREFIX));
  });
});
