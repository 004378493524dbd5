import { Readable } from 'node:stream';
import { z } from 'zod';
import { EVENT_VERSION, FilesSubgraphLinks, createLogger, loadConfig, newUuidV7, s3Env, startService, type MessageOutbound, type RunningService, type S3Config } from '@chat4all/common';
import { BlobFileRecordStore, S3BlobStore, contentKey, createMinioClient, metadataKey, migrateS3 } from '../../../subgraphs/files/src';
import { filesService } from '../../../subgraphs/files/src/server';
import { ConnectorScenario } from '../../../common/test/support/connector-scenario';
import { waitFor } from '../../../common/test/support/processes';
import { whatsappProcesses } from './support/channel';

jest.setTimeout(180_000);

/**
 * A file message end to end: the connector (its own process) asks the real files subgraph (on the real S3 server) for
 * a presigned link as a signed service, and the simulated Cloud API receives a document whose link downloads the file.
 */
const KEY = 'connector-files-int-test-key-0123456789abcdef';
const s3: S3Config = { ...loadConfig(z.object(s3Env)), S3_BUCKET: 'chat4all-files-connector-test' };
const log = createLogger('file-message-test', 'silent');
const blobs = new S3BlobStore(s3);
const records = new BlobFileRecordStore(blobs);
const content = Buffer.from('%PDF-1.4\n% a small test document\n');
const fileId = newUuidV7();

let files: RunningService;
let filesUrl: string;
let scenario: ConnectorScenario;

beforeAll(async () => {
  try {
    await createMinioClient(s3).listBuckets();
  } catch (error) {
    throw new Error(`S3 is not reachable at ${s3.S3_ENDPOINT} (start it with \`npm run infra:up\`): ${String(error)}`);
  }
  await migrateS3(s3, log);
  // A stored file, as an upload leaves it: content first, then its record.
  const put = await blobs.put(contentKey(fileId), Readable.from([content]), { contentType: 'application/pdf', maxBytes: 1024 * 1024 });
  await records.save({ id: fileId, filename: 'report.pdf', contentType: 'application/pdf', size: put.size, sha256: put.sha256, ownerId: 'user-1', createdAt: new Date() });
  files = await startService(filesService(), {
    host: '127.0.0.1',
    env: { PORT: '0', LOG_LEVEL: 'silent', S3_ENDPOINT: s3.S3_ENDPOINT, S3_BUCKET: s3.S3_BUCKET, IDENTITY_SIGNING_KEY: KEY },
  });
  filesUrl = `http://127.0.0.1:${files.port}/graphql`;
  scenario = await ConnectorScenario.start(whatsappProcesses, { connectorEnv: { SUBGRAPH_FILES_URL: filesUrl, IDENTITY_SIGNING_KEY: KEY } });
});

afterAll(async () => {
  await scenario?.close();
  await files?.stop();
  await Promise.all([blobs.delete(contentKey(fileId)), blobs.delete(metadataKey(fileId))]);
});

test('the files subgraph gives a signed service a fresh link for a file, and null for an unknown id', async () => {
  const links = new FilesSubgraphLinks({ url: filesUrl, identitySigningKey: KEY, service: 'connector-whatsapp', timeoutMs: 5_000 });
  const link = await links.link(fileId);
  expect(link).toMatchObject({ filename: 'report.pdf', contentType: 'application/pdf' });
  expect(Buffer.from(await (await fetch(link!.url)).arrayBuffer())).toEqual(content);
  expect(await links.link(newUuidV7())).toBeNull();
  const unsigned = new FilesSubgraphLinks({ url: filesUrl, identitySigningKey: 'not-the-key', service: 'connector-whatsapp', timeoutMs: 5_000 });
  await expect(unsigned.link(fileId)).rejects.toThrow(/files subgraph could not give a link/);
});

test('a file message reaches the platform as a document whose link downloads the file; a missing file FAILS', async () => {
  const event = (id: string, conversationId: string): MessageOutbound => ({
    version: EVENT_VERSION,
    channel: 'WHATSAPP',
    message: { messageId: newUuidV7(), conversationId, senderId: 'user-1', fileId: id, content: 'the report', createdAt: new Date().toISOString() },
  });
  const withFile = event(fileId, 'conv-file');
  const missing = event(newUuidV7(), 'conv-missing');
  await scenario.publish([withFile, missing]);
  await waitFor(
    'both messages final',
    () => scenario.finals().get(withFile.message.messageId)?.status === 'READ' && scenario.finals().has(missing.message.messageId),
    60_000,
    () => scenario.explain(),
  );
  const [sent] = (await scenario.simulatorMessages()).filter((m) => m.recipient === 'conv-file');
  expect(sent?.kind).toBe('document');
  expect(Buffer.from(await (await fetch(sent!.link!)).arrayBuffer())).toEqual(content);
  expect(scenario.finals().get(missing.message.messageId)).toMatchObject({ status: 'FAILED', reason: expect.stringMatching(/does not exist/) });
  await waitFor('the dead letter', () => scenario.deadLetters.length === 1, 20_000);
  expect((await scenario.simulatorMessages()).filter((m) => m.recipient === 'conv-missing')).toEqual([]);
});
