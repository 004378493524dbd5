import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PlatformError } from '../src/connector/errors';
import { postJson } from '../src/connector/http';

/** A platform API stand-in: each test sets how it answers. */
let answer: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void = (_req, res) => res.end();
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
  req.on('end', () => answer(req, res, body));
});
let base = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function failure(promise: Promise<unknown>): Promise<PlatformError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PlatformError);
  return error as PlatformError;
}

describe('postJson (a connector calling its platform)', () => {
  it('sends the JSON body with its headers and returns the parsed answer', async () => {
    answer = (req, res, body) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ got: JSON.parse(body), auth: req.headers.authorization, type: req.headers['content-type'] }));
    };
    const result = await postJson(`${base}/v1/messages`, { text: 'hi' }, { headers: { authorization: 'Bearer t' }, timeoutMs: 2_000 });
    expect(result).toEqual({ got: { text: 'hi' }, auth: 'Bearer t', type: 'application/json' });
  });

  it('an error answer: retriable by its status, with the reason the platform gave', async () => {
    answer = (_req, res) => {
      res.statusCode = 400;
      res.end(JSON.stringify({ error: { message: 'bad recipient' } }));
    };
    const describeError = (_status: number, body: unknown) => (body as { error?: { message?: string } }).error?.message;
    const refused = await failure(postJson(`${base}/x`, {}, { timeoutMs: 2_000, describeError }));
    expect(refused).toMatchObject({ retriable: false, httpStatus: 400, message: 'HTTP 400: bad recipient' });

    answer = (_req, res) => {
      res.statusCode = 503;
      res.end('down for maintenance');
    };
    expect(await failure(postJson(`${base}/x`, {}, { timeoutMs: 2_000 }))).toMatchObject({ retriable: true, httpStatus: 503, message: 'HTTP 503: down for maintenance' });
  });

  it('a 200 without a JSON body is a retriable failure', async () => {
    answer = (_req, res) => res.end('');
    expect(await failure(postJson(`${base}/x`, {}, { timeoutMs: 2_000 }))).toMatchObject({ retriable: true, httpStatus: 200 });
  });

  it('an answer longer than the limit is not read to its end: a retriable failure, the connection dropped', async () => {
    let written = 0;
    answer = (_req, res) => {
      // Never ends: without a bound the whole of it would be held, growing until the process runs out of memory.
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const more = () => {
        while (!res.destroyed && res.write(chunk)) written += chunk.length;
      };
      res.on('drain', more);
      more();
    };
    const endless = await failure(postJson(`${base}/x`, {}, { timeoutMs: 2_000, maxAnswerBytes: 256 * 1024 }));
    expect(endless).toMatchObject({ retriable: true, httpStatus: 200, message: 'HTTP 200 with an answer over 262144 bytes' });
    expect(written).toBeLessThan(64 * 1024 * 1024);

    answer = (_req, res) => {
      res.statusCode = 500;
      res.end('x'.repeat(2048));
    };
    const long = await failure(postJson(`${base}/x`, {}, { timeoutMs: 2_000, maxAnswerBytes: 1024 }));
    expect(long).toMatchObject({ retriable: true, httpStatus: 500, message: `HTTP 500: ${'x'.repeat(200)}` });
  });

  it('no answer in time, and no server at all, are retriable failures that say so', async () => {
    answer = () => undefined; // never answers
    const slow = await failure(postJson(`${base}/x`, {}, { timeoutMs: 200 }));
    expect(slow).toMatchObject({ retriable: true, message: expect.stringMatching(/no answer within 200 ms$/) });

    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await failure(postJson(`http://127.0.0.1:${port}/x`, {}, { timeoutMs: 2_000 }));
    expect(refused).toMatchObject({ retriable: true, message: expect.stringMatching(/^request to 127\.0\.0\.1:\d+ failed: /) });
  });
});
