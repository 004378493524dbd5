import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { peekHead } from '../src/upload/head';

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** A source that counts how many chunks were pulled from it. */
function countingSource(chunks: Buffer[]): { stream: Readable; pulled: () => number } {
  let pulled = 0;
  const stream = Readable.from(
    (function* () {
      for (const chunk of chunks) {
        pulled++;
        yield chunk;
      }
    })(),
    { objectMode: false },
  );
  return { stream, pulled: () => pulled };
}

describe('peekHead', () => {
  it('shows the first bytes and hands back the whole content unchanged', async () => {
    const chunks = [Buffer.from([1, 2, 3]), Buffer.from([4, 5]), Buffer.alloc(100_000, 7), Buffer.from('tail')];
    const { head, body } = await peekHead(Readable.from(chunks, { objectMode: false }), 4);
    expect([...head]).toEqual([1, 2, 3, 4]);
    const all = await readAll(body);
    expect(createHash('sha256').update(all).digest('hex')).toBe(createHash('sha256').update(Buffer.concat(chunks)).digest('hex'));
  });

  it('gives a short head for a short stream, and an empty one for an empty stream', async () => {
    const short = await peekHead(Readable.from([Buffer.from('ab')], { objectMode: false }), 16);
    expect(short.head.toString()).toBe('ab');
    expect((await readAll(short.body)).toString()).toBe('ab');

    const empty = await peekHead(Readable.from([], { objectMode: false }), 16);
    expect(empty.head.length).toBe(0);
    expect((await readAll(empty.body)).length).toBe(0);
  });

  it('reads no further than the head before the body is consumed', async () => {
    const source = countingSource(Array.from({ length: 20 }, () => Buffer.alloc(64 * 1024)));
    const { head } = await peekHead(source.stream, 16);
    expect(head.length).toBe(16);
    // The stream reads ahead up to its buffer size (one or two chunks here), never the whole source.
    expect(source.pulled()).toBeLessThanOrEqual(3);
  });

  it('passes the source error through the body', async () => {
    const failing = new Readable({ read() {} });
    failing.push(Buffer.alloc(20));
    const peeked = await peekHead(failing, 8);
    setImmediate(() => failing.destroy(new Error('too large (test)')));
    await expect(readAll(peeked.body)).rejects.toThrow('too large (test)');
  });

  it('abandon destroys the source', async () => {
    const source = new Readable({ read() {} });
    source.push(Buffer.alloc(20));
    const peeked = await peekHead(source, 8);
    await peeked.abandon();
    expect(source.destroyed).toBe(true);
  });
});
