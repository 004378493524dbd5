import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  createLogger,
  isUuidV7,
  loadConfig,
  s3Env,
  signIdentity,
  startService,
  StartupError,
  type IdentityClaims,
  type RunningService,
  type S3Config,
} from '@chat4all/common';
import { createMinioClient, migrateS3, S3BlobStore } from '../src';
import { filesService } from '../src/server';
import { contentKey, metadataKey } from '../src/store/keys';
import type { BlobStore, FileRecordStore } from '../src/store/port';
import { BlobFileRecordStore } from '../src/store/records';

jest.setTimeout(120_000);

/**
 * The files subgraph as it runs in production (bootstrap, S3 client, HTTP, signed identities, multipart uploads) on
 * the real S3 server from `npm run infra:up`. The stores are the real S3 adapters, wrapped only to count their calls.
 */
const KEY = 'files-int-test-signing-key-0123456789abcdef';
const MiB = 1024 * 1024;
const MAX_UPLOAD_BYTES = 6 * MiB;
// A small part size, so the multi-MB upload below goes up in several parts (and the refused one aborts a started upload).
const PART_SIZE = 5 * MiB;
const s3: S3Config = { ...loadConfig(z.object(s3Env)), S3_BUCKET: 'chat4all-files-subgraph-test' };
const minio = createMinioClient(s3);
const log = createLogger('files-subgraph-test', 'silent');

/** The real S3 store, counting metadata reads (to see the DataLoader batch them). */
class CountingBlobStore implements BlobStore {
  metadataGets = 0;
  constructor(private readonly inner: BlobStore) {}
  put: BlobStore['put'] = (key, body, options) => this.inner.put(key, body, options);
  get: BlobStore['get'] = (key) => {
    if (key.startsWith('meta/')) this.metadataGets++;
    return this.inner.get(key);
  };
  stat: BlobStore['stat'] = (key) => this.inner.stat(key);
  presignGet: BlobStore['presignGet'] = (key, ttl) => this.inner.presignGet(key, ttl);
  delete: BlobStore['delete'] = (key) => this.inner.delete(key);
}

const blobs = new CountingBlobStore(new S3BlobStore(s3, { partSize: PART_SIZE }));
const realRecords = new BlobFileRecordStore(blobs);
const getManyCalls: string[][] = [];
const records: FileRecordStore = {
  save: (record) => realRecords.save(record),
  getMany: (ids) => {
    getManyCalls.push([...ids]);
    return realRecords.getMany(ids);
  },
};

const serviceEnv = {
  PORT: '0',
  LOG_LEVEL: 'silent',
  S3_ENDPOINT: s3.S3_ENDPOINT,
  S3_BUCKET: s3.S3_BUCKET,
  IDENTITY_SIGNING_KEY: KEY,
  MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES),
  MAX_UPLOAD_FILES: '2',
  // The batching below is the store's; the record cache (on by default) gets its own service further down.
  FILE_RECORD_CACHE_ENTRIES: '0',
};

let service: RunningService;
let base: string;
const created: string[] = [];

beforeAll(async () => {
  try {
    await minio.listBuckets();
  } catch (error) {
    throw new Error(`S3 is not reachable at ${s3.S3_ENDPOINT} (start it with \`npm run infra:up\`): ${String(error)}`);
  }
  await migrateS3(s3, log);
  service = await startService(filesService({ blobs, records }), { host: '127.0.0.1', env: serviceEnv });
  base = `http://127.0.0.1:${service.port}`;
});

afterAll(async () => {
  await service?.stop();
  // Keeps repeated runs from piling up megabytes in the test bucket.
  await Promise.all(created.flatMap((id) => [blobs.delete(contentKey(id)), blobs.delete(metadataKey(id))]));
});

interface User {
  userId: string;
  username: string;
}
const newUser = (): User => ({ userId: randomUUID(), username: `user-${randomUUID().slice(0, 8)}` });
const messagesService = { service: 'messages' };

interface GraphQLResult<T> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string; field?: string } }[];
}
const codes = (result: GraphQLResult<unknown>) => result.errors?.map((e) => e.extensions?.code);

async function parse<T>(response: Response): Promise<GraphQLResult<T>> {
  const text = await response.text();
  try {
    return { status: response.status, ...(JSON.parse(text) as Omit<GraphQLResult<T>, 'status'>) };
  } catch {
    throw new Error(`HTTP ${response.status} without a JSON body: ${text.slice(0, 200)}`);
  }
}

async function gql<T>(query: string, variables: Record<string, unknown>, as: IdentityClaims | null): Promise<GraphQLResult<T>> {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(as ? signIdentity(as, KEY) : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return parse<T>(response);
}

interface UploadedFile {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  url: string;
}
const FILE_FIELDS = 'id filename contentType size sha256 url';
const UPLOAD = `mutation ($file: Upload!) { uploadFile(file: $file) { ${FILE_FIELDS} } }`;

/** A GraphQL multipart request (operations, map, one file part), as a browser's FormData sends it. */
async function upload(
  content: Buffer,
  filename: string,
  contentType: string,
  as: IdentityClaims | null,
  { preflight = true }: { preflight?: boolean } = {},
): Promise<GraphQLResult<{ uploadFile: UploadedFile }>> {
  const form = new FormData();
  form.append('operations', JSON.stringify({ query: UPLOAD, variables: { file: null } }));
  form.append('map', JSON.stringify({ 0: ['variables.file'] }));
  form.append('0', new Blob([content], { type: contentType }), filename);
  const headers: Record<string, string> = { ...(as ? signIdentity(as, KEY) : {}) };
  if (preflight) headers['apollo-require-preflight'] = 'true';
  const result = await parse<{ uploadFile: UploadedFile }>(await fetch(`${base}/graphql`, { method: 'POST', headers, body: form }));
  if (result.data?.uploadFile) created.push(result.data.uploadFile.id);
  return result;
}

async function uploaded(content: Buffer, filename: string, contentType: string, as: User): Promise<UploadedFile> {
  const result = await upload(content, filename, contentType, as);
  if (!result.data?.uploadFile) throw new Error(`upload failed: ${JSON.stringify(result.errors)}`);
  return result.data.uploadFile;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const png = (size: number) => Buffer.concat([PNG_SIGNATURE, randomBytes(size - PNG_SIGNATURE.length)]);

/** Every object and unfinished multipart upload in the test bucket. */
async function bucketContents(): Promise<{ objects: string[]; incomplete: string[] }> {
  const objects: string[] = [];
  for await (const item of minio.listObjectsV2(s3.S3_BUCKET, '', true) as AsyncIterable<{ name?: string }>) {
    if (item.name) objects.push(item.name);
  }
  const incomplete: string[] = [];
  for await (const item of minio.listIncompleteUploads(s3.S3_BUCKET, '', true) as AsyncIterable<{ key: string; uploadId: string }>) {
    incomplete.push(`${item.key}#${item.uploadId}`);
  }
  return { objects: objects.sort(), incomplete: incomplete.sort() };
}

describe('uploadFile', () => {
  it('streams a multi-MB file into S3 and answers with its size, SHA-256 and type; the url downloads the same bytes', async () => {
    const owner = newUser();
    const content = png(5 * MiB + 123_457);
    const file = await uploaded(content, 'holiday\u202Egnp.exe.png', 'image/png', owner);

    expect(isUuidV7(file.id)).toBe(true);
    expect(file).toMatchObject({ filename: 'holidaygnp.exe.png', contentType: 'image/png', size: content.length, sha256: sha256(content) });

    const download = await fetch(file.url);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('image/png');
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(bytes.length).toBe(content.length);
    expect(sha256(bytes)).toBe(sha256(content));

    // The presigned URL is signed on the configured endpoint, for FILE_URL_TTL_SECONDS (default 900) plus the time it
    // is handed out again (FILE_URL_REUSE_SECONDS, default 60) and a second of margin.
    const url = new URL(file.url);
    expect(url.origin).toBe(new URL(s3.S3_ENDPOINT).origin);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('961');

    // Content and metadata side by side under the id.
    const { objects } = await bucketContents();
    expect(objects).toEqual(expect.arrayContaining([contentKey(file.id), metadataKey(file.id)]));
  });

  it('declares the type canonically and keeps text as text', async () => {
    const owner = newUser();
    const text = Buffer.from(`notes ${randomUUID()}\n`);
    const file = await uploaded(text, 'notes.txt', 'text/plain; charset=utf-8', owner);
    expect(file).toMatchObject({ filename: 'notes.txt', contentType: 'text/plain', size: text.length, sha256: sha256(text) });
    expect(await (await fetch(file.url)).text()).toBe(text.toString());
  });

  it('refuses an anonymous upload with UNAUTHENTICATED and stores nothing', async () => {
    const before = await bucketContents();
    const result = await upload(png(64 * 1024), 'a.png', 'image/png', null);
    expect(codes(result)).toEqual(['UNAUTHENTICATED']);
    expect(result.data?.uploadFile ?? null).toBeNull();
    expect(await bucketContents()).toEqual(before);
  });

  it('refuses a forged identity before anything runs', async () => {
    const headers = signIdentity(newUser(), 'not-the-key-0123456789abcdef0123456789');
    const form = new FormData();
    form.append('operations', JSON.stringify({ query: UPLOAD, variables: { file: null } }));
    form.append('map', JSON.stringify({ 0: ['variables.file'] }));
    form.append('0', new Blob([png(1024)], { type: 'image/png' }), 'a.png');
    const result = await parse(await fetch(`${base}/graphql`, { method: 'POST', headers: { ...headers, 'apollo-require-preflight': 'true' }, body: form }));
    expect(result.status).toBe(401);
    expect(codes(result)).toEqual(['UNAUTHENTICATED']);
  });

  it('keeps CSRF prevention on: a multipart request without Apollo-Require-Preflight is refused', async () => {
    const before = await bucketContents();
    const result = await upload(png(1024), 'a.png', 'image/png', newUser(), { preflight: false });
    expect(result.status).toBe(400);
    expect(result.errors?.[0]?.message).toMatch(/CSRF|preflight/i);
    expect(await bucketContents()).toEqual(before);
  });

  it('stops a file over MAX_UPLOAD_BYTES with PAYLOAD_TOO_LARGE and leaves nothing in the bucket', async () => {
    const before = await bucketContents();
    // Past one part: the multipart upload has started in S3 when the limit bites, and must be aborted.
    const result = await upload(png(MAX_UPLOAD_BYTES + 1), 'big.png', 'image/png', newUser());
    expect(codes(result)).toEqual(['PAYLOAD_TOO_LARGE']);
    expect(result.data?.uploadFile ?? null).toBeNull();
    expect(await bucketContents()).toEqual(before);
  });

  it('takes several files of one mutation in one request (the gateway sends them so), up to MAX_UPLOAD_FILES', async () => {
    const owner = newUser();
    const contents = [png(3000), png(4000), png(5000)];
    const send = (count: number) => {
      const fields = contents.slice(0, count).map((_, i) => `f${i}: uploadFile(file: $f${i}) { ${FILE_FIELDS} }`);
      const form = new FormData();
      form.append('operations', JSON.stringify({
        query: `mutation (${fields.map((_, i) => `$f${i}: Upload!`).join(', ')}) { ${fields.join(' ')} }`,
        variables: Object.fromEntries(fields.map((_, i) => [`f${i}`, null])),
      }));
      form.append('map', JSON.stringify(Object.fromEntries(fields.map((_, i) => [String(i), [`variables.f${i}`]]))));
      contents.slice(0, count).forEach((content, i) => form.append(String(i), new Blob([content], { type: 'image/png' }), `p${i}.png`));
      return fetch(`${base}/graphql`, { method: 'POST', headers: { ...signIdentity(owner, KEY), 'apollo-require-preflight': 'true' }, body: form });
    };
    const two = await parse<Record<string, UploadedFile>>(await send(2));
    expect(two.errors).toBeUndefined();
    for (const file of Object.values(two.data ?? {})) created.push(file.id);
    expect([two.data?.f0?.sha256, two.data?.f1?.sha256]).toEqual([sha256(contents[0]!), sha256(contents[1]!)]);
    const three = await parse(await send(3));
    expect(three.status).toBe(413);
    expect(codes(three)).toEqual(['PAYLOAD_TOO_LARGE']);
  });

  it('accepts a file of exactly MAX_UPLOAD_BYTES', async () => {
    const content = png(MAX_UPLOAD_BYTES);
    const file = await uploaded(content, 'exact.png', 'image/png', newUser());
    expect(file.size).toBe(MAX_UPLOAD_BYTES);
    expect(file.sha256).toBe(sha256(content));
  });

  it('refuses a PNG declared as application/pdf with BAD_USER_INPUT and stores nothing', async () => {
    const before = await bucketContents();
    const result = await upload(png(256 * 1024), 'invoice.pdf', 'application/pdf', newUser());
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors?.[0]?.message).toContain('not application/pdf');
    expect(result.errors?.[0]?.extensions?.field).toBe('file');
    expect(await bucketContents()).toEqual(before);
  });

  it('refuses a PNG declared as text and a type outside the allow-list', async () => {
    const disguised = await upload(png(4096), 'readme.txt', 'text/plain', newUser());
    expect(codes(disguised)).toEqual(['BAD_USER_INPUT']);
    expect(disguised.errors?.[0]?.message).toContain('PNG, not text/plain');

    const html = await upload(Buffer.from('<script>alert(1)</script>'), 'page.html', 'text/html', newUser());
    expect(codes(html)).toEqual(['BAD_USER_INPUT']);
    expect(html.errors?.[0]?.message).toContain('text/html');
  });
});

const FILE = `query ($id: ID!) { file(id: $id) { ${FILE_FIELDS} } }`;

describe('file(id)', () => {
  let owner: User;
  let file: UploadedFile;
  beforeAll(async () => {
    owner = newUser();
    file = await uploaded(Buffer.from('mine'), 'mine.txt', 'text/plain', owner);
  });

  it('answers the owner', async () => {
    const result = await gql<{ file: UploadedFile }>(FILE, { id: file.id }, owner);
    expect(result.errors).toBeUndefined();
    expect(result.data?.file).toMatchObject({ id: file.id, filename: 'mine.txt', size: 4, sha256: sha256(Buffer.from('mine')) });
    expect(await (await fetch(result.data!.file.url)).text()).toBe('mine');
  });

  it('hands out the same signed URL again within FILE_URL_REUSE_SECONDS, and it downloads', async () => {
    const first = await gql<{ file: UploadedFile }>(FILE, { id: file.id }, owner);
    // Signed anew, the URL would differ now: its X-Amz-Date has a resolution of one second.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const second = await gql<{ file: UploadedFile }>(FILE, { id: file.id }, owner);
    expect(second.data!.file.url).toBe(first.data!.file.url);
    expect(await (await fetch(second.data!.file.url)).text()).toBe('mine');
  });

  it('answers NOT_FOUND to anybody else, exactly as for a file that does not exist', async () => {
    const ask = (id: string, as: User) => gql<{ file: UploadedFile | null }>(FILE, { id }, as);
    const other = await ask(file.id, newUser());
    const missing = await ask('0190a6a4-1b2c-7d3e-8f00-0123456789ab', owner);
    const malformed = await ask('../meta/x', owner);
    for (const result of [other, missing, malformed]) {
      expect(codes(result)).toEqual(['NOT_FOUND']);
      expect(result.errors?.[0]?.message).toBe('file not found');
      expect(result.data?.file ?? null).toBeNull();
    }
  });

  it('needs a user: anonymous callers and services get UNAUTHENTICATED', async () => {
    expect(codes(await gql(FILE, { id: file.id }, null))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await gql(FILE, { id: file.id }, messagesService))).toEqual(['UNAUTHENTICATED']);
  });
});

const ENTITIES = (fields: string) =>
  `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on File { ${fields} } } }`;
type Entity = Partial<UploadedFile> & { ownerId?: string };

describe('File entities (references from other subgraphs)', () => {
  const owner = newUser();
  let files: UploadedFile[];
  beforeAll(async () => {
    files = [];
    // 50 attachments, uploaded ten at a time.
    for (let batch = 0; batch < 5; batch++) {
      files.push(
        ...(await Promise.all(
          Array.from({ length: 10 }, (_, i) => uploaded(Buffer.from(`attachment ${batch * 10 + i}`), `a${batch * 10 + i}.txt`, 'text/plain', owner)),
        )),
      );
    }
  });

  it('resolves 50 references with one batched metadata read', async () => {
    getManyCalls.length = 0;
    const readsBefore = blobs.metadataGets;
    const representations = files.map((f) => ({ __typename: 'File', id: f.id }));
    const result = await gql<{ _entities: Entity[] }>(ENTITIES('id filename size sha256 url'), { representations }, newUser());

    expect(result.errors).toBeUndefined();
    expect(result.data?._entities.map((e) => e.id)).toEqual(files.map((f) => f.id));
    expect(result.data?._entities.map((e) => e.filename)).toEqual(files.map((f) => f.filename));
    expect(getManyCalls).toEqual([files.map((f) => f.id)]);
    expect(blobs.metadataGets - readsBefore).toBe(50);
    const sample = result.data!._entities[7]!;
    expect(await (await fetch(sample.url!)).text()).toBe('attachment 7');
  });

  it('reads a repeated reference once and answers null for an unknown one', async () => {
    getManyCalls.length = 0;
    const unknown = '0190a6a4-1b2c-7d3e-8f00-0123456789ab';
    const ids = [files[0]!.id, unknown, files[0]!.id, 'not-an-id'];
    const result = await gql<{ _entities: (Entity | null)[] }>(ENTITIES('id'), { representations: ids.map((id) => ({ __typename: 'File', id })) }, newUser());
    expect(result.errors).toBeUndefined();
    expect(result.data?._entities).toEqual([{ id: files[0]!.id }, null, { id: files[0]!.id }, null]);
    // Deduplicated, and the malformed id never reached the store.
    expect(getManyCalls).toEqual([[files[0]!.id, unknown]]);
  });

  it('with the record cache on (the default), reads a page of attachments from S3 once, then from memory', async () => {
    const { FILE_RECORD_CACHE_ENTRIES: _off, ...defaults } = serviceEnv;
    const cached = await startService(filesService({ blobs }), { host: '127.0.0.1', env: defaults });
    try {
      const representations = files.map((f) => ({ __typename: 'File', id: f.id }));
      const ask = async () => {
        const response = await fetch(`http://127.0.0.1:${cached.port}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...signIdentity(newUser(), KEY) },
          body: JSON.stringify({ query: ENTITIES('id filename url'), variables: { representations } }),
        });
        return parse<{ _entities: Entity[] }>(response);
      };
      const readsBefore = blobs.metadataGets;
      const first = await ask();
      expect(blobs.metadataGets - readsBefore).toBe(50);
      const second = await ask();
      expect(blobs.metadataGets - readsBefore).toBe(50);
      expect(second.errors).toBeUndefined();
      expect(second.data?._entities.map((e) => e.filename)).toEqual(first.data?._entities.map((e) => e.filename));
      expect(second.data?._entities.map((e) => e.filename)).toEqual(files.map((f) => f.filename));
    } finally {
      await cached.stop();
    }
  });

  it('gives a service identity the owner id', async () => {
    const representations = files.slice(0, 3).map((f) => ({ __typename: 'File', id: f.id }));
    const result = await gql<{ _entities: Entity[] }>(ENTITIES('id ownerId'), { representations }, messagesService);
    expect(result.errors).toBeUndefined();
    expect(result.data?._entities).toEqual(files.slice(0, 3).map((f) => ({ id: f.id, ownerId: owner.userId })));
  });

  it('keeps the owner id from users, who still get the public fields', async () => {
    const representations = [{ __typename: 'File', id: files[0]!.id }];
    const result = await gql<{ _entities: (Entity | null)[] }>(ENTITIES('id filename ownerId'), { representations }, owner);
    expect(codes(result)).toEqual(['FORBIDDEN']);
    expect(result.errors?.[0]?.path).toEqual(['_entities', 0, 'ownerId']);

    const publicOnly = await gql<{ _entities: Entity[] }>(ENTITIES('id filename contentType'), { representations }, newUser());
    expect(publicOnly.data?._entities).toEqual([{ id: files[0]!.id, filename: files[0]!.filename, contentType: 'text/plain' }]);
  });

  it('refuses anonymous callers', async () => {
    const result = await gql(ENTITIES('id'), { representations: [{ __typename: 'File', id: files[0]!.id }] }, null);
    expect(codes(result)).toEqual(['UNAUTHENTICATED']);
  });
});

describe('the service', () => {
  it('is ready while the bucket is reachable', async () => {
    const response = await fetch(`${base}/readyz`);
    expect(response.status).toBe(200);
  });

  it('signs download URLs for S3_PUBLIC_ENDPOINT', async () => {
    const owner = newUser();
    const file = await uploaded(Buffer.from('public'), 'p.txt', 'text/plain', owner);
    const publicService = await startService(filesService(), {
      host: '127.0.0.1',
      env: { ...serviceEnv, S3_PUBLIC_ENDPOINT: 'https://files.chat4all.example', FILE_URL_TTL_SECONDS: '60', FILE_URL_REUSE_SECONDS: '0' },
    });
    try {
      const response = await fetch(`http://127.0.0.1:${publicService.port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signIdentity(owner, KEY) },
        body: JSON.stringify({ query: FILE, variables: { id: file.id } }),
      });
      const result = (await response.json()) as { data: { file: UploadedFile } };
      const url = new URL(result.data.file.url);
      expect(url.origin).toBe('https://files.chat4all.example');
      expect(url.pathname).toBe(`/${s3.S3_BUCKET}/${contentKey(file.id)}`);
      expect(url.searchParams.get('X-Amz-Expires')).toBe('60');
    } finally {
      await publicService.stop();
    }
  });

  it('refuses to start without its bucket, saying to migrate', async () => {
    const missing = `chat4all-missing-${randomUUID().slice(0, 8)}`;
    const attempt = startService(filesService(), { host: '127.0.0.1', env: { ...serviceEnv, S3_BUCKET: missing } });
    await expect(attempt).rejects.toBeInstanceOf(StartupError);
    await expect(attempt).rejects.toThrow(`missing S3 bucket "${missing}" (run \`npm run migrate\`)`);
  });
});
