import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import {
  AuthError,
  IDENTITY_HEADER,
  createLogger,
  createSubgraphHandler,
  env,
  notFound,
  serviceEnv,
  signIdentity,
  startService,
  UploadScalar,
  unavailable,
  type FileUpload,
  type RunningService,
  type SubgraphContext,
} from '../src';
import { rawRequest } from './support/http';

const typeDefs = /* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  scalar Upload
  type Caller { kind: String!, userId: ID, username: String, service: String }
  type Stored { filename: String!, mimetype: String!, size: Int!, sha256: String! }
  type Query {
    whoami: Caller
    echo(text: String!): String!
    missing: String
    broken: String
    denied: String
    away: String
  }
  type Mutation {
    store(file: Upload!): Stored!
    ignore(file: Upload!): Boolean!
  }
`;

interface GraphQLBody<D = Record<string, unknown>> {
  data?: D | null;
  errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> }[];
}

const identityKey = 'subgraph-test-identity-key-0123456789';
const MAX_BODY = 4096;
const MAX_FILE = 64 * 1024;

describe('subgraph kit on the service bootstrap', () => {
  let service: RunningService;
  let calls: { resolver: string; identity: SubgraphContext['identity'] }[];

  beforeAll(async () => {
    calls = [];
    const record = (resolver: string, identity: SubgraphContext['identity']) => calls.push({ resolver, identity });
    service = await startService(
      {
        name: 'subgraph-test',
        configSchema: z.object({ ...serviceEnv, PORT: env.port(0) }),
        async start({ onShutdown }) {
          const subgraph = createSubgraphHandler<{ requestId: string }>({
            name: 'subgraph-test',
            typeDefs,
            identityKey,
            maxBodyBytes: MAX_BODY,
            uploads: { maxFileSize: MAX_FILE },
            log: createLogger('subgraph-test', 'silent'),
            context: (_identity, req) => ({ requestId: String(req.headers['x-request-id'] ?? 'none') }),
            resolvers: {
              Upload: UploadScalar,
              Query: {
                whoami: (_p, _a, { identity }) => {
                  record('whoami', identity);
                  return identity;
                },
                echo: (_p, { text }: { text: string }, { identity, requestId }) => {
                  record('echo', identity);
                  return `${text}:${requestId}`;
                },
                missing: () => {
                  throw notFound('no such thing');
                },
                broken: () => {
                  throw new Error('connection to 10.0.0.7:9042 refused');
                },
                denied: () => {
                  throw new AuthError('token expired');
                },
                away: () => {
                  throw unavailable('the event bus did not confirm it; retry');
                },
              },
              Mutation: {
                store: async (_p, { file }: { file: Promise<FileUpload> }, { identity }) => {
                  record('store', identity);
                  const upload = await file;
                  const hash = createHash('sha256');
                  let size = 0;
                  for await (const chunk of upload.createReadStream() as AsyncIterable<Buffer>) {
                    hash.update(chunk);
                    size += chunk.length;
                  }
                  return { filename: upload.filename, mimetype: upload.mimetype, size, sha256: hash.digest('hex') };
                },
                // Never reads the file: the kit must still read the request to its end.
                ignore: (_p, _a, { identity }) => {
                  record('ignore', identity);
                  return true;
                },
              },
            },
          });
          onShutdown('graphql', subgraph.stop);
          return { handler: subgraph.handler };
        },
      },
      { env: { LOG_LEVEL: 'silent', PORT: '0' }, host: '127.0.0.1' },
    );
  });

  afterAll(async () => {
    await service?.stop();
  });

  beforeEach(() => {
    calls = [];
  });

  const url = (path = '/graphql') => `http://127.0.0.1:${service.port}${path}`;
  const user = () => signIdentity({ userId: 'user-1', username: 'alice' }, identityKey);

  async function post(body: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(url(), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as GraphQLBody };
  }

  const storeMutation = 'mutation ($f: Upload!) { store(file: $f) { filename mimetype size sha256 } }';

  function uploadForm(content: Buffer, query = storeMutation, filename = 'notes.bin') {
    const form = new FormData();
    form.append('operations', JSON.stringify({ query, variables: { f: null } }));
    form.append('map', JSON.stringify({ 0: ['variables.f'] }));
    form.append('0', new Blob([content], { type: 'application/octet-stream' }), filename);
    return form;
  }

  async function upload(content: Buffer, headers: Record<string, string>, query = storeMutation) {
    const res = await fetch(url(), { method: 'POST', headers, body: uploadForm(content, query) });
    return { status: res.status, json: (await res.json()) as GraphQLBody<{ store?: Record<string, unknown> }> };
  }

  it('puts a validly signed user identity in the context', async () => {
    const { status, json } = await post({ query: '{ whoami { kind userId username } }' }, user());
    expect(status).toBe(200);
    expect(json).toEqual({ data: { whoami: { kind: 'user', userId: 'user-1', username: 'alice' } } });
    expect(calls).toEqual([{ resolver: 'whoami', identity: expect.objectContaining({ kind: 'user', userId: 'user-1' }) }]);
  });

  it('puts a signed service identity in the context', async () => {
    const { json } = await post({ query: '{ whoami { kind service } }' }, signIdentity({ service: 'messages' }, identityKey));
    expect(json.data).toEqual({ whoami: { kind: 'service', service: 'messages' } });
  });

  it('merges the service context with the identity', async () => {
    const { json } = await post({ query: 'query ($t: String!) { echo(text: $t) }', variables: { t: 'hi' } }, { ...user(), 'x-request-id': 'r-42' });
    expect(json.data).toEqual({ echo: 'hi:r-42' });
  });

  it('refuses a forged identity with 401 UNAUTHENTICATED before any resolver runs', async () => {
    const forged = signIdentity({ userId: 'user-1', username: 'alice' }, 'not-the-gateway-key-0123456789abcdef');
    const { status, json } = await post({ query: '{ whoami { userId } }' }, forged);
    expect(status).toBe(401);
    expect(json.data).toBeUndefined();
    expect(json.errors).toEqual([{ message: 'identity signature is invalid', extensions: { code: 'UNAUTHENTICATED' } }]);
    expect(calls).toEqual([]);
  });

  it('refuses an unsigned identity the same way', async () => {
    const { status, json } = await post({ query: '{ whoami { userId } }' }, { [IDENTITY_HEADER]: user()[IDENTITY_HEADER]! });
    expect(status).toBe(401);
    expect(json.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(calls).toEqual([]);
  });

  it('runs anonymous requests with identity null', async () => {
    const { status, json } = await post({ query: '{ whoami { kind } }' });
    expect(status).toBe(200);
    expect(json.data).toEqual({ whoami: null });
    expect(calls).toEqual([{ resolver: 'whoami', identity: null }]);
  });

  it('answers GET queries that carry a preflight header, and refuses them without one (CSRF)', async () => {
    const query = encodeURIComponent('{ echo(text: "get") }');
    const ok = await fetch(url(`/graphql?query=${query}`), { headers: { 'apollo-require-preflight': 'true' } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ data: { echo: 'get:none' } });
    const refused = await fetch(url(`/graphql?query=${query}`));
    expect(refused.status).toBe(400);
    expect(await refused.text()).toMatch(/Cross-Site Request Forgery/);
  });

  it('refuses a body over the limit with 413 PAYLOAD_TOO_LARGE, declared or streamed', async () => {
    const big = { query: '{ echo(text: "x") }', variables: { pad: 'x'.repeat(MAX_BODY) } };
    const declared = await post(big);
    expect(declared.status).toBe(413);
    expect(declared.json.errors?.[0]?.extensions?.code).toBe('PAYLOAD_TOO_LARGE');

    // A chunked body has no content-length: the limit must hold while reading.
    const bytes = new TextEncoder().encode(JSON.stringify(big));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 1000) controller.enqueue(bytes.slice(i, i + 1000));
        controller.close();
      },
    });
    const streamed = await fetch(url(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: stream, duplex: 'half' } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(((await streamed.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('PAYLOAD_TOO_LARGE');
    expect(calls).toEqual([]);
  });

  it('answers malformed JSON with 400 BAD_REQUEST', async () => {
    const res = await fetch(url(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": "{ echo' });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ errors: [{ message: 'request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }] });
  });

  it('keeps known error codes and hides unexpected errors behind INTERNAL_SERVER_ERROR without a stack', async () => {
    const { json } = await post({ query: '{ missing broken denied away }' });
    const byPath = Object.fromEntries((json.errors ?? []).map((e) => [e.path?.[0], e]));
    expect(byPath.missing).toMatchObject({ message: 'no such thing', extensions: { code: 'NOT_FOUND' } });
    expect(byPath.broken).toMatchObject({ message: 'internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(byPath.denied).toMatchObject({ message: 'token expired', extensions: { code: 'UNAUTHENTICATED' } });
    // Expected unavailability is not masked: its message says what to do.
    expect(byPath.away).toMatchObject({ message: 'the event bus did not confirm it; retry', extensions: { code: 'UNAVAILABLE' } });
    expect(JSON.stringify(json)).not.toMatch(/10\.0\.0\.7|stacktrace|at .*\.ts/);
  });

  it('serves the federation SDL and keeps introspection off by default', async () => {
    const sdl = await post({ query: '{ _service { sdl } }' });
    expect(sdl.json.data?._service).toEqual({ sdl: expect.stringContaining('type Caller') });
    const introspection = await post({ query: '{ __schema { queryType { name } } }' });
    expect(introspection.json.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('answers 404 off the GraphQL path, and 400 to a request target that is no URL path (the process keeps serving)', async () => {
    expect((await fetch(url('/elsewhere'))).status).toBe(404);
    expect(await rawRequest(url(), 'GET //[ HTTP/1.1\r\nHost: x')).toBe(400);
    expect((await fetch(url('/elsewhere'))).status).toBe(404);
  });

  it('streams a multipart upload to the resolver', async () => {
    const content = randomBytes(48 * 1024);
    const { status, json } = await upload(content, { 'apollo-require-preflight': 'true', ...user() });
    expect(status).toBe(200);
    expect(json).toEqual({
      data: { store: { filename: 'notes.bin', mimetype: 'application/octet-stream', size: content.length, sha256: createHash('sha256').update(content).digest('hex') } },
    });
    expect(calls).toEqual([{ resolver: 'store', identity: expect.objectContaining({ userId: 'user-1' }) }]);
  });

  it('refuses one file given to two fields with BAD_USER_INPUT, not an internal error', async () => {
    const twice = 'mutation ($f: Upload!) { a: store(file: $f) { size } b: store(file: $f) { size } }';
    const { json } = await upload(randomBytes(1024), { 'apollo-require-preflight': 'true', ...user() }, twice);
    expect(json.errors).toEqual([
      expect.objectContaining({ message: 'a file can be given to one field only: map it to one variable, used once', extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }),
    ]);
  });

  it('accepts a file of exactly the size limit', async () => {
    const content = randomBytes(MAX_FILE);
    const { json } = await upload(content, { 'apollo-require-preflight': 'true' });
    expect(json.data?.store).toMatchObject({ size: MAX_FILE, sha256: createHash('sha256').update(content).digest('hex') });
  });

  it('lets CSRF prevention refuse a multipart request without the preflight header', async () => {
    const { status, json } = await upload(randomBytes(1024), user());
    expect(status).toBe(400);
    expect(json.errors?.[0]?.message).toMatch(/Cross-Site Request Forgery/);
    expect(calls).toEqual([]);
  });

  it('fails a file over the size limit with PAYLOAD_TOO_LARGE', async () => {
    const { json } = await upload(randomBytes(MAX_FILE + 1), { 'apollo-require-preflight': 'true' });
    expect(json.data).toBeNull();
    expect(json.errors).toEqual([expect.objectContaining({ message: `file exceeds the ${MAX_FILE} byte limit`, extensions: { code: 'PAYLOAD_TOO_LARGE' } })]);
    expect(calls.map((c) => c.resolver)).toEqual(['store']);
  });

  it('stops a much larger file at the limit and reads the rest of the request off the connection', async () => {
    const { json } = await upload(randomBytes(2 * 1024 * 1024), { 'apollo-require-preflight': 'true' });
    expect(json.errors?.[0]?.extensions?.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('drains a file the resolver never reads', async () => {
    // Bigger than every stream buffer on the way, so an undrained upload would stall the request.
    const { status, json } = await upload(randomBytes(MAX_FILE), { 'apollo-require-preflight': 'true' }, 'mutation ($f: Upload!) { ignore(file: $f) }');
    expect(status).toBe(200);
    expect(json.data).toEqual({ ignore: true });
  });

  it('refuses an upload with a forged identity before reading it', async () => {
    const forged = signIdentity({ userId: 'user-1', username: 'alice' }, 'not-the-gateway-key-0123456789abcdef');
    const { status, json } = await upload(randomBytes(200 * 1024), { 'apollo-require-preflight': 'true', ...forged });
    expect(status).toBe(401);
    expect(json.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(calls).toEqual([]);
  });

  it('still answers normally after every kind of refusal', async () => {
    const { json } = await post({ query: '{ echo(text: "after") }' });
    expect(json.data).toEqual({ echo: 'after:none' });
  });
});
