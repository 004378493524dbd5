import { buildSchema, GraphQLError } from 'graphql';
import { DocumentCache } from '../src/subscriptions/documents';

const v1 = buildSchema('type Query { ok: Boolean } type Tick { at: Int, tock: Int } type Subscription { tick: Tick }');
const v2 = buildSchema('type Query { ok: Boolean } type Tick { at: Int } type Subscription { tick: Tick }');
const TICK_TOCK = 'subscription { tick { at tock } }';

describe('DocumentCache (subscription documents shared by their text)', () => {
  it('parses a text once: every subscriber sending it holds the same document', () => {
    const cache = new DocumentCache(10);
    const first = cache.parse(TICK_TOCK, 100);
    expect(cache.parse(TICK_TOCK, 100)).toBe(first);
    expect(cache.parse('subscription { tick { at } }', 100)).not.toBe(first);
  });

  it('still refuses a syntax error and a document over the token limit, every time', () => {
    const cache = new DocumentCache(10);
    for (let i = 0; i < 2; i++) {
      expect(() => cache.parse('subscription { tick { at }', 100)).toThrow(GraphQLError);
      expect(() => cache.parse(TICK_TOCK, 3)).toThrow(/more that 3 tokens/);
    }
  });

  it('validates against each schema it is asked about: valid on one supergraph, refused on the next', () => {
    const cache = new DocumentCache(10);
    const document = cache.parse(TICK_TOCK, 100);
    expect(cache.validate(v1, TICK_TOCK, document)).toEqual([]);
    expect(cache.validate(v1, TICK_TOCK, document)).toEqual([]);
    expect(cache.validate(v2, TICK_TOCK, document).map((e) => e.message)).toEqual([expect.stringMatching(/tock/)]);
    // An invalid answer is not remembered as valid.
    expect(cache.validate(v2, TICK_TOCK, document)).toHaveLength(1);
  });

  it('keeps at most maxEntries documents, least recently used out', () => {
    const cache = new DocumentCache(2);
    const a = cache.parse('subscription A { tick { at } }', 100);
    const b = cache.parse('subscription B { tick { at } }', 100);
    cache.parse('subscription A { tick { at } }', 100); // B is now the least recently used
    cache.parse('subscription C { tick { at } }', 100);
    expect(cache.parse('subscription A { tick { at } }', 100)).toBe(a);
    expect(cache.parse('subscription B { tick { at } }', 100)).not.toBe(b);
  });

  it('keeps at most maxText characters of text in all, least recently used out; a larger text is parsed, not kept', () => {
    const text = (name: string, pad: number) => `subscription ${name} { tick { at } }${' '.repeat(pad)}`;
    const cache = new DocumentCache(100, 200);
    const a = cache.parse(text('A', 60), 100);
    const b = cache.parse(text('B', 60), 100);
    cache.parse(text('A', 60), 100); // B is now the least recently used
    cache.parse(text('C', 60), 100); // ~270 characters with A, B and C: B goes
    expect(cache.parse(text('A', 60), 100)).toBe(a);
    expect(cache.parse(text('B', 60), 100)).not.toBe(b);
    const huge = text('H', 500);
    expect(cache.parse(huge, 100)).not.toBe(cache.parse(huge, 100));
    expect(cache.parse(text('B', 60), 100)).toBe(cache.parse(text('B', 60), 100)); // the huge one pushed nothing out
  });
});
