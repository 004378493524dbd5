import http from 'node:http';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createMinioClient } from '@chat4all/files';
import { generatedFile } from './generated';
import type { UploadResult, UploadSpec } from './spec';

/**
 * The upload client, as its own process (`node --import tsx upload-load.ts <spec.json>`): streams one generated file
 * either through the gateway (a GraphQL multipart request, `uploadFile`) or straight into S3 (the minio client's
 * putObject, the reference), and prints one JSON line (UploadResult).
 */

const UPLOAD = 'mutation ($file: Upload!) { uploadFile(file: $file) { id size sha256 } }';

interface UploadAnswer {
  data?: { uploadFile: { id: string; size: number; sha256: string } };
  errors?: { message: string }[];
}

/** The multipart body as a stream with a known length: the spec's operations and map, then the file part. */
function multipart(bytes: number, file: Readable): { body: Readable; length: number; boundary: string } {
  const boundary = `----chat4all-bench-${Date.now()}`;
  const field = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const head = Buffer.from(
    field('operations', JSON.stringify({ query: UPLOAD, variables: { file: null } })) +
      field('map', JSON.stringify({ 0: ['variables.file'] })) +
      `--${boundary}\r\nContent-Disposition: form-data; name="0"; filename="bench.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  async function* parts() {
    yield head;
    yield* file;
    yield tail;
  }
  return { body: Readable.from(parts(), { objectMode: false }), length: head.length + bytes + tail.length, boundary };
}

async function throughGateway(spec: Extract<UploadSpec, { target: 'gateway' }>, file: Readable): Promise<{ id: string; sha256: string }> {
  const { body, length, boundary } = multipart(spec.bytes, file);
  const url = new URL(spec.graphqlUrl);
  const answer = await new Promise<string>((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': String(length),
          authorization: `Bearer ${spec.token}`,
          'apollo-require-preflight': 'true',
        },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => (response.statusCode === 200 ? resolve(text) : reject(new Error(`gateway answered ${response.statusCode}: ${text.slice(0, 500)}`))));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    pipeline(body, request).catch(reject);
  });
  const parsed = JSON.parse(answer) as UploadAnswer;
  if (!parsed.data || parsed.errors?.length) throw new Error(`uploadFile failed: ${answer.slice(0, 500)}`);
  if (parsed.data.uploadFile.size !== spec.bytes) throw new Error(`uploadFile stored ${parsed.data.uploadFile.size} bytes of ${spec.bytes}`);
  return parsed.data.uploadFile;
}

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) throw new Error('usage: upload-load.ts <spec.json>');
  const spec = JSON.parse(readFileSync(file, 'utf8')) as UploadSpec;
  const generated = generatedFile(spec.bytes);
  let sha256: string | undefined;
  // hash.digest() may be called once: keep its answer.
  const digest = () => (sha256 ??= generated.digest());
  const started = process.hrtime.bigint();
  let stored: string;
  if (spec.target === 'gateway') {
    const uploaded = await throughGateway(spec, generated.stream);
    if (uploaded.sha256 !== digest()) throw new Error(`the gateway stored other bytes (sha256 ${uploaded.sha256})`);
    stored = uploaded.id;
  } else {
    await createMinioClient(spec.s3).putObject(spec.s3.S3_BUCKET, spec.key, generated.stream, spec.bytes, { 'Content-Type': 'application/octet-stream' });
    stored = spec.key;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const result: UploadResult = { bytes: spec.bytes, seconds, mibPerSecond: spec.bytes / 2 ** 20 / seconds, sha256: digest(), stored };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
