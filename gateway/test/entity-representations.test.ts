import { distinctRepresentations, spreadEntities } from '../src/subgraphs/entity-representations';

const user = (id: string) => ({ __typename: 'User', id });

describe('distinctRepresentations', () => {
  it('keeps the first of each representation, in order, and where every original one went', () => {
    expect(distinctRepresentations([user('a'), user('b'), user('a'), user('c'), user('b')])).toEqual({
      distinct: [user('a'), user('b'), user('c')],
      indexOf: [0, 1, 0, 2, 1],
    });
  });

  it('is null when there is nothing to leave out', () => {
    expect(distinctRepresentations([user('a'), user('b')])).toBeNull();
    expect(distinctRepresentations([user('a')])).toBeNull();
    expect(distinctRepresentations([])).toBeNull();
    // Another type with the same id is another entity.
    expect(distinctRepresentations([user('a'), { __typename: 'File', id: 'a' }])).toBeNull();
  });
});

describe('spreadEntities', () => {
  const distinct = distinctRepresentations([user('a'), user('b'), user('a'), user('b'), user('a')])!;

  it('puts each answer in every place its entity held, each place with an object of its own', () => {
    const a = { __typename: 'User', name: 'Ann', avatar: { url: 'u' } };
    const b = { __typename: 'User', name: 'Bob', avatar: null };
    const spread = spreadEntities({ data: { _entities: [a, b] } }, distinct);
    const entities = spread.data?._entities as (typeof a)[];
    expect(entities).toEqual([a, b, a, b, a]);
    // The gateway merges later fetches into these objects: a change to one place must not show in another.
    expect(entities[0]).toBe(a);
    expect(entities[2]).not.toBe(a);
    expect(entities[2]!.avatar).not.toBe(a.avatar);
  });

  it('repeats an error of an entity at each of its places and leaves other errors as they are', () => {
    const failed = { message: 'no such user', path: ['_entities', 1, 'name'], extensions: { code: 'NOT_FOUND' } };
    const general = { message: 'slow', extensions: { code: 'X' } };
    const spread = spreadEntities({ data: { _entities: [{ name: 'Ann' }, null] }, errors: [failed, general] }, distinct);
    expect(spread.data?._entities).toEqual([{ name: 'Ann' }, null, { name: 'Ann' }, null, { name: 'Ann' }]);
    expect(spread.errors).toEqual([
      { ...failed, path: ['_entities', 1, 'name'] },
      { ...failed, path: ['_entities', 3, 'name'] },
      general,
    ]);
  });

  it('returns an answer without one entry per distinct representation as it is, for the gateway to refuse', () => {
    const short = { data: { _entities: [{ name: 'Ann' }] } };
    expect(spreadEntities(short, distinct)).toBe(short);
    const failedWhole = { data: null, errors: [{ message: 'down', path: ['_entities'] }] };
    expect(spreadEntities(failedWhole, distinct)).toBe(failedWhole);
  });
});
