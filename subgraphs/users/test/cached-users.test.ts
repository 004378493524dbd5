import { randomUUID } from 'node:crypto';
import { cachedUsers, type UserLookup } from '../src/store/cached-users';
import type { User } from '../src/store/port';

/** Users by id from a map, recording each batch it was asked (the repository in these unit tests). */
class CountingUsers implements UserLookup {
  readonly users = new Map<string, User>();
  readonly asked: string[][] = [];

  async findUsersByIds(ids: readonly string[]): Promise<(User | null)[]> {
    this.asked.push([...ids]);
    return ids.map((id) => this.users.get(id.toLowerCase()) ?? null);
  }

  add(): User {
    const user = { id: randomUUID(), username: `u${this.users.size}`, displayName: 'U', passwordHash: 'x', createdAt: new Date(0) };
    this.users.set(user.id, user);
    return user;
  }
}

describe('cachedUsers', () => {
  it('reads a user once, then answers it from memory, in request order beside users it still has to read', async () => {
    const inner = new CountingUsers();
    const [a, b, c] = [inner.add(), inner.add(), inner.add()];
    const cached = cachedUsers(inner, 10);

    expect(await cached.findUsersByIds([a.id, b.id])).toEqual([a, b]);
    expect(await cached.findUsersByIds([c.id, a.id, b.id, c.id])).toEqual([c, a, b, c]);
    expect(inner.asked).toEqual([[a.id, b.id], [c.id, c.id]]);
    expect(await cached.findUsersByIds([b.id.toUpperCase(), c.id])).toEqual([b, c]); // ids match whatever their case
    expect(inner.asked).toHaveLength(2);
  });

  it('does not keep an unknown id: a user registered later is found', async () => {
    const inner = new CountingUsers();
    const cached = cachedUsers(inner, 10);
    const late = { id: randomUUID(), username: 'late', displayName: 'Late', passwordHash: 'x', createdAt: new Date(0) };
    expect(await cached.findUsersByIds([late.id, 'not-a-uuid'])).toEqual([null, null]);
    inner.users.set(late.id, late);
    expect(await cached.findUsersByIds([late.id])).toEqual([late]);
    expect(inner.asked).toHaveLength(2);
  });

  it('keeps at most maxEntries users, the least recently used out', async () => {
    const inner = new CountingUsers();
    const [x, y, z] = [inner.add(), inner.add(), inner.add()];
    const cached = cachedUsers(inner, 2);
    await cached.findUsersByIds([x.id, y.id]);
    await cached.findUsersByIds([x.id]); // y is now the least recently used
    await cached.findUsersByIds([z.id]); // y out
    inner.asked.length = 0;
    expect(await cached.findUsersByIds([x.id, y.id, z.id])).toEqual([x, y, z]);
    expect(inner.asked).toEqual([[y.id]]);
  });
});
