import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { endpointsFor } from '../playground/endpoints';
import { createPlaygroundFetcher, describeSocketError, headersFor, isSubscription } from '../playground/fetcher';

/** The playground's browser-side logic that runs the same in Node: URLs, headers, operation kinds, HTTP requests. */
describe('the playground fetcher', () => {
  it('derives the GraphQL, token and socket URLs from the page, so a path prefix carries over', () => {
    expect(endpointsFor({ href: 'http://127.0.0.1:4000/playground', protocol: 'http:' })).toEqual({
      graphql: 'http://127.0.0.1:4000/graphql',
      token: 'http://127.0.0.1:4000/token',
      socket: 'ws://127.0.0.1:4000/graphql',
    });
    expect(endpointsFor({ href: 'https://chat.example/api/playground', protocol: 'https:' }).socket).toBe('wss://chat.example/api/graphql');
  });

  it("sends the session's token, unless the Headers tab sets an Authorization of its own (in any case)", () => {
    expect(headersFor('abc', undefined).get('authorization')).toBe('Bearer abc');
    expect(headersFor(undefined, {}).has('authorization')).toBe(false);
    const typed = headersFor('abc', { authorization: 'Bearer typed', 'X-Extra': 1 });
    expect(typed.get('authorization')).toBe('Bearer typed');
    expect(typed.get('x-extra')).toBe('1');
    expect(headersFor('abc', { AUTHORIZATION: 'Bearer upper' }).get('authorization')).toBe('Bearer upper');
  });

  it('sends subscriptions over the socket and everything else over HTTP', () => {
    expect(isSubscription('subscription { messageAdded(conversationId: "c") { id } }', undefined, undefined)).toBe(true);
    const both = 'query Q { me { id } } subscription S { myEvents { cursor } }';
    expect(isSubscription(both, 'S', undefined)).toBe(true);
    expect(isSubscription(both, 'Q', undefined)).toBe(false);
    expect(isSubscription('mutation { login(username: "a", password: "b") { token } }', null, undefined)).toBe(false);
    // Unparseable text goes to HTTP, whose answer names the syntax error.
    expect(isSubscription('subscription {', undefined, undefined)).toBe(false);
  });

  it('turns a refused socket into a message that says what to do', () => {
    expect(String(describeSocketError({ code: 4403, reason: 'Forbidden' }, 'ws://g/graphql'))).toMatch(/4403 Forbidden\): log in/);
    expect(String(describeSocketError({ code: 4429, reason: 'slow' }, 'ws://g/graphql'))).toMatch(/4429/);
    expect(String(describeSocketError({ type: 'error' }, 'ws://g/graphql'))).toMatch(/could not open the subscription socket ws:\/\/g\/graphql/);
    const graphqlErrors = [{ message: 'Cannot query field "x"' }];
    expect(describeSocketError(graphqlErrors, 'ws://g/graphql')).toBe(graphqlErrors);
  });

  describe('over HTTP', () => {
    const seen: { authorization?: string; contentType?: string; body: string }[] = [];
    let answer = '{"data":{"me":{"id":"u1"}}}';
    let server: http.Server;
    let origin: string;

    beforeAll(async () => {
      server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c)).on('end', () => {
          seen.push({ authorization: req.headers.authorization, contentType: req.headers['content-type'], body: Buffer.concat(chunks).toString('utf8') });
          res.writeHead(answer.startsWith('{') ? 200 : 502, { 'content-type': 'application/json' }).end(answer);
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('posts the operation as JSON with the current token and returns the answer', async () => {
      let token: string | undefined = 't1';
      const { fetcher } = createPlaygroundFetcher(endpointsFor({ href: `${origin}/playground`, protocol: 'http:' }), () => token);
      expect(await fetcher({ query: '{ me { id } }', operationName: null }, { headers: {} })).toEqual({ data: { me: { id: 'u1' } } });
      token = undefined;
      await fetcher({ query: '{ me { id } }' });
      expect(seen.map((s) => s.authorization)).toEqual(['Bearer t1', undefined]);
      expect(seen[0]!.contentType).toBe('application/json');
      expect(JSON.parse(seen[0]!.body)).toEqual({ query: '{ me { id } }', operationName: null });
    });

    it('reports an answer that is not JSON with its status', async () => {
      answer = 'bad gateway';
      const { fetcher } = createPlaygroundFetcher(endpointsFor({ href: `${origin}/playground`, protocol: 'http:' }), () => undefined);
      await expect(Promise.resolve(fetcher({ query: '{ me { id } }' }))).rejects.toThrow('the gateway answered HTTP 502: bad gateway');
    });
  });
});
