import { Readable } from 'node:stream';

export interface PeekedStream {
  /** Up to the requested number of bytes from the start (fewer only if the stream is shorter). */
  head: Buffer;
  /** The whole content again, head included, read on from the source as it is consumed. */
  body: Readable;
  /** Stops reading the source (when the upload is refused after looking at its head). */
  abandon(): Promise<void>;
}

/**
 * Reads just enough of `source` to look at its first `bytes` bytes, and hands back a stream with the whole content.
 * Nothing beyond the chunks already read is buffered; errors of the source (e.g. the size limit) surface in `body`.
 */
export async function peekHead(source: Readable, bytes: number): Promise<PeekedStream> {
  const iterator = (source as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  const toBuffer = (chunk: Buffer | string) => (typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  const early: Buffer[] = [];
  let length = 0;
  let ended = false;
  while (length < bytes) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    const chunk = toBuffer(next.value);
    early.push(chunk);
    length += chunk.length;
  }

  async function* rest(): AsyncGenerator<Buffer> {
    try {
      yield* early;
      if (ended) return;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield toBuffer(next.value);
      }
    } finally {
      // Runs when the consumer stops early too: returning the iterator destroys the source.
      await iterator.return?.();
    }
  }

  return {
    head: Buffer.concat(early, length).subarray(0, bytes),
    body: Readable.from(rest(), { objectMode: false }),
    abandon: async () => {
      await iterator.return?.();
    },
  };
}
