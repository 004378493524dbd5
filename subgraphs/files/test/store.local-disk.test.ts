import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { newUuidV7 } from '@chat4all/common';
import { BlobFileRecordStore, BlobNotFoundError, BlobTooLargeError, LocalDiskBlobStore, routeSignedBlobs, serveSignedBlobs, signBlobUrl } from '../src';
import { describeBlobStoreContract, describeFileRecordStoreContract } from '../src/store/contract';

/** A fresh folder for one store, and the signed-download handler on an ephemeral 127.0.0.1 port. */
interface Sandbox {
  root: string;
  dataDir: string;
  baseUrl: string;
  secret: Buffer;
  store: LocalDiskBlobStore;
  close(): Promise<void>;
}

async function sandbox(): Promise<Sandbox> {
  const root = await mkdtemp(path.join(tmpdir(), 'chat4all-blobs-'));
  const dataDir = path.join(root, 'data');
  const secret = randomBytes(32);
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const store = await LocalDiskBlobStore.open({ dataDir, publicBaseUrl: baseUrl, urlSecret: secret });
  server.on('request', serveSignedBlobs(store, secret));
  return {
    root,
    dataDir,
    baseUrl,
    secret,
    store,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(root, { recursive: true, force: true });
    },
  };
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Every file under `dir`, relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
}

/** A raw GET that keeps the path exactly as written (fetch would normalize `..` away). */
function rawGet(baseUrl: string, rawPath: string, method = 'GET'): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port, path: rawPath, method }, (res) => {
      void readAll(res).then((body) => resolve({ status: res.statusCode ?? 0, body: body.toString(), headers: res.headers }), reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describeBlobStoreContract('local disk', async () => {
  const box = await sandbox();
  return { store: box.store, close: () => box.close() };
});

describeFileRecordStoreContract('JSON records on local disk', async () => {
  const box = await sandbox();
  return { records: new BlobFileRecordStore(box.store), close: () => box.close() };
});

describe('LocalDiskBlobStore', () => {
  let box: Sandbox;
  beforeEach(async () => {
    box = await sandbox();
  });
  afterEach(async () => {
    await box.close();
  });

  it('keeps every key, however hostile, inside the data folder', async () => {
    const keys = ['../escape.txt', '../../../../../../tmp/escape.txt', '/etc/escape', '..', 'a/../../b', 'nul\0byte', 'x'.repeat(1000)];
    for (const [index, key] of keys.entries()) {
      await box.store.put(key, Readable.from([Buffer.from(`content ${index}`)]), { contentType: 'text/plain', maxBytes: 100 });
    }
    for (const [index, key] of keys.entries()) {
      expect((await readAll(await box.store.get(key))).toString()).toBe(`content ${index}`);
    }
    // Nothing appeared beside the data folder, and every blob is a digest-named file under data/blobs.
    const files = await filesUnder(box.root);
    expect(files).toHaveLength(keys.length);
    for (const file of files) expect(file).toMatch(/^data\/blobs\/[0-9a-f]{2}\/[0-9a-f]{64}$/);

    await box.store.delete('../escape.txt');
    await expect(box.store.get('../escape.txt')).rejects.toBeInstanceOf(BlobNotFoundError);
    await expect(box.store.put('', Readable.from([]), { contentType: 'text/plain', maxBytes: 1 })).rejects.toBeInstanceOf(RangeError);
    // A ".." segment would be folded away by URL normalization, so no URL is signed for it.
    await expect(box.store.presignGet('../escape.txt', 60)).rejects.toBeInstanceOf(RangeError);
  });

  it('serves a signed ".." path as the key it names, never as a path', async () => {
    const key = '../../etc/hosts';
    await box.store.put(key, Readable.from([Buffer.from('mine')]), { contentType: 'text/plain', maxBytes: 100 });
    const expires = Math.floor(Date.now() / 1000) + 60;
    const signature = signBlobUrl(box.secret, key, expires);
    const answer = await rawGet(box.baseUrl, `/blobs/%2E%2E/%2E%2E/etc/hosts?expires=${expires}&signature=${signature}`);
    expect(answer).toMatchObject({ status: 200, body: 'mine' });
    // The raw `..` form decodes to the same key, so it is the same signed blob, not the machine's /etc/hosts.
    expect((await rawGet(box.baseUrl, `/blobs/../../etc/hosts?expires=${expires}&signature=${signature}`)).body).toBe('mine');
  });

  it('leaves no partial file behind when an upload is refused or fails', async () => {
    const big = Readable.from([randomBytes(2048)]);
    await expect(box.store.put('big', big, { contentType: 'application/octet-stream', maxBytes: 1024 })).rejects.toBeInstanceOf(BlobTooLargeError);
    const failing = new Readable({
      read() {
        this.push(Buffer.from('some bytes'));
        this.destroy(new Error('client went away'));
      },
    });
    await expect(box.store.put('broken', failing, { contentType: 'text/plain', maxBytes: 1024 })).rejects.toThrow('client went away');
    expect(await filesUnder(box.dataDir)).toEqual([]);
  });

  it('replaces a blob whole when a key is written again', async () => {
    await box.store.put('k', Readable.from([Buffer.from('first version')]), { contentType: 'text/plain', maxBytes: 100 });
    await box.store.put('k', Readable.from([Buffer.from('v2')]), { contentType: 'application/json', maxBytes: 100 });
    expect((await readAll(await box.store.get('k'))).toString()).toBe('v2');
    expect(await box.store.stat('k')).toMatchObject({ size: 2, contentType: 'application/json' });
  });

  it('keeps blobs, records and signed URLs across a restart, and drops uploads the stopped run left unfinished', async () => {
    const key = `files/${newUuidV7()}`;
    await box.store.put(key, Readable.from([Buffer.from('survives')]), { contentType: 'text/plain', maxBytes: 100 });
    const record = {
      id: newUuidV7(),
      filename: 'a.txt',
      contentType: 'text/plain',
      size: 8,
      sha256: 'a'.repeat(64),
      ownerId: 'user-1',
      createdAt: new Date(),
    };
    await new BlobFileRecordStore(box.store).save(record);
    const url = await box.store.presignGet(key, 60);
    await writeFile(path.join(box.dataDir, 'tmp', `${randomUUID()}.part`), 'half an upload');

    const reopened = await LocalDiskBlobStore.open({ dataDir: box.dataDir, publicBaseUrl: box.baseUrl, urlSecret: box.secret });
    expect((await readAll(await reopened.get(key))).toString()).toBe('survives');
    expect(await reopened.stat(key)).toMatchObject({ size: 8, contentType: 'text/plain' });
    expect(await new BlobFileRecordStore(reopened).getMany([record.id])).toEqual([record]);
    expect(await readdir(path.join(box.dataDir, 'tmp'))).toEqual([]);
    // The URL is signed with the secret, not with anything held by the old instance.
    const served = await fetch(url);
    expect(await served.text()).toBe('survives');
  });

  it('refuses a weak URL secret and a malformed base URL', async () => {
    await expect(LocalDiskBlobStore.open({ dataDir: box.dataDir, publicBaseUrl: box.baseUrl, urlSecret: 'short' })).rejects.toBeInstanceOf(RangeError);
    await expect(LocalDiskBlobStore.open({ dataDir: box.dataDir, publicBaseUrl: 'not a url', urlSecret: box.secret })).rejects.toThrow();
  });
});

describe('serveSignedBlobs', () => {
  let box: Sandbox;
  const key = `files/${newUuidV7()}`;
  beforeAll(async () => {
    box = await sandbox();
    await box.store.put(key, Readable.from([Buffer.from('hello there')]), { contentType: 'text/plain', maxBytes: 100 });
  });
  afterAll(async () => {
    await box.close();
  });
  const pathAndQuery = (url: string): string => {
    const parsed = new URL(url);
    return parsed.pathname + parsed.search;
  };

  it('serves the bytes with type, length and a private cache lifetime', async () => {
    const url = await box.store.presignGet(key, 60);
    expect(url).toMatch(new RegExp(`^${box.baseUrl}/blobs/files/[0-9a-f-]{36}\\?expires=\\d+&signature=[0-9a-f]{64}$`));
    const answer = await rawGet(box.baseUrl, pathAndQuery(url));
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('hello there');
    expect(answer.headers['content-length']).toBe('11');
    expect(answer.headers['content-type']).toBe('text/plain');
    expect(answer.headers['cache-control']).toMatch(/^private, max-age=(59|60)$/);
    const head = await rawGet(box.baseUrl, pathAndQuery(url), 'HEAD');
    expect(head).toMatchObject({ status: 200, body: '' });
    expect(head.headers['content-length']).toBe('11');
  });

  it('answers 403 to a wrong signature, a key or expiry changed after signing, and a missing signature', async () => {
    const url = new URL(await box.store.presignGet(key, 60));
    const expires = Number(url.searchParams.get('expires'));
    const signature = url.searchParams.get('signature')!;
    const flipped = (signature[0] === '0' ? '1' : '0') + signature.slice(1);
    const otherKey = `files/${newUuidV7()}`;
    await box.store.put(otherKey, Readable.from([Buffer.from('secret')]), { contentType: 'text/plain', maxBytes: 100 });

    for (const attempt of [
      `${url.pathname}?expires=${expires}&signature=${flipped}`,
      `/blobs/${otherKey}?expires=${expires}&signature=${signature}`,
      `${url.pathname}?expires=${expires + 3600}&signature=${signature}`,
      `${url.pathname}?expires=${expires}`,
      url.pathname,
    ]) {
      expect(await rawGet(box.baseUrl, attempt)).toMatchObject({ status: 403 });
    }
    // A URL signed with another secret is refused too.
    const foreign = signBlobUrl(randomBytes(32), key, expires);
    expect((await rawGet(box.baseUrl, `${url.pathname}?expires=${expires}&signature=${foreign}`)).status).toBe(403);
  });

  it('answers 404 for a signed key with no blob, and for paths outside /blobs/', async () => {
    const gone = `files/${newUuidV7()}`;
    expect((await rawGet(box.baseUrl, pathAndQuery(await box.store.presignGet(gone, 60)))).status).toBe(404);
    expect((await rawGet(box.baseUrl, '/graphql')).status).toBe(404);
  });

  it('answers 403 to an expired URL even with a valid signature', async () => {
    const expires = Math.floor(Date.now() / 1000) - 1;
    const answer = await rawGet(box.baseUrl, `/blobs/${key}?expires=${expires}&signature=${signBlobUrl(box.secret, key, expires)}`);
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('expired');
  });

  it('allows only GET and HEAD', async () => {
    const answer = await rawGet(box.baseUrl, pathAndQuery(await box.store.presignGet(key, 60)), 'POST');
    expect(answer.status).toBe(405);
    expect(answer.headers.allow).toBe('GET, HEAD');
  });

  it('routes /blobs/ to the download handler and everything else onward', async () => {
    const seen: string[] = [];
    const route = routeSignedBlobs(
      (req, res) => {
        seen.push(`blobs ${req.url}`);
        res.end();
      },
      (req, res) => {
        seen.push(`next ${req.url}`);
        res.end();
      },
    );
    const server = http.createServer(route);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      for (const p of ['/blobs/a?x=1', '/graphql', '/blobs', '/']) await rawGet(base, p);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    expect(seen).toEqual(['blobs /blobs/a?x=1', 'next /graphql', 'next /blobs', 'next /']);
  });
});
