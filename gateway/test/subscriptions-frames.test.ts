import { GraphQLError, type ExecutionResult } from 'graphql';
import { MessageType, parseMessage, stringifyMessage } from 'graphql-ws';
import { nextMessage, nextPrefix, payloadJson } from '../src/subscriptions/frames';

/** The `next` messages the gateway writes itself must be the ones graphql-ws would have written. */
describe('next messages serialized once', () => {
  const withErrors: ExecutionResult = {
    data: { messageStatusChanged: { status: 'READ', message: { id: 'm1', content: 'h\u00e9 "quoted" \n', sender: null } } },
    errors: [new GraphQLError("this event's fields could not be resolved", { path: ['messageStatusChanged', 'message', 'sender'], extensions: { code: 'INTERNAL_SERVER_ERROR' } })],
  };

  it.each([
    ['a result with data', { data: { messageAdded: { id: 'm1', content: 'hello' } } } as ExecutionResult],
    ['a result with errors', withErrors],
  ])('writes %s exactly as graphql-ws does', (_name, result) => {
    for (const id of ['1', '0f0e7a9c-4f6b-4b6e-9d1e-2a1c3b4d5e6f', 'a "quoted" id']) {
      const ours = nextMessage(nextPrefix(id), payloadJson(result)).toString('utf8');
      const theirs = stringifyMessage({ id, type: MessageType.Next, payload: result.errors ? { ...result, errors: result.errors.map((e) => e.toJSON()) } : result });
      expect(ours).toBe(theirs);
      expect(parseMessage(ours)).toEqual(JSON.parse(theirs));
    }
  });

  it('serializes one result object once, however many subscribers it goes to', () => {
    let reads = 0;
    const result: ExecutionResult = {
      get data() {
        reads++;
        return { messageAdded: { id: 'm2' } };
      },
    };
    const first = payloadJson(result);
    for (let i = 0; i < 1000; i++) expect(payloadJson(result)).toBe(first); // the same bytes, not a copy
    expect(reads).toBe(1);
    // Another object with the same content is serialized on its own (the cache is by identity, never by content).
    const other = payloadJson({ data: { messageAdded: { id: 'm2' } } });
    expect(other).not.toBe(first);
    expect(other.equals(first)).toBe(true);
  });
});
