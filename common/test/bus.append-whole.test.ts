import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { appendWhole, type AppendTarget } from '../src/bus/append-whole';

/** A file in memory whose writes take at most `chunk` bytes and fail after `failAfter` bytes in all. */
function fakeFile(initial: string, { chunk = Infinity, failAfter = Infinity, syncFails = false } = {}) {
  let content = Buffer.from(initial);
  let written = 0;
  const target: AppendTarget = {
    stat: async () => ({ size: content.length }),
    write: async (buffer, offset, length) => {
      const take = Math.min(length, chunk, failAfter - written);
      if (take <= 0) throw new Error('ENOSPC: no space left on device');
      content = Buffer.concat([content, buffer.subarray(offset, offset + take)]);
      written += take;
      return { bytesWritten: take };
    },
    datasync: async () => {
      if (syncFails) throw new Error('EIO: i/o error');
    },
    truncate: async (length) => {
      content = content.subarray(0, length);
    },
  };
  return { target, text: () => content.toString() };
}

describe('appendWhole (the embedded bus appends a batch of lines)', () => {
  it('goes on after a short write until every byte is in', async () => {
    const file = fakeFile('a\n', { chunk: 3 });
    await appendWhole(file.target, Buffer.from('{"k":"one"}\n{"k":"two"}\n'));
    expect(file.text()).toBe('a\n{"k":"one"}\n{"k":"two"}\n');
  });

  it('cuts the file back when a write fails part-way, so no torn line is left', async () => {
    const file = fakeFile('a\n', { chunk: 4, failAfter: 9 });
    await expect(appendWhole(file.target, Buffer.from('{"k":"one"}\n'))).rejects.toThrow(/ENOSPC/);
    expect(file.text()).toBe('a\n');
  });

  it('cuts the file back when the sync fails (the caller is told the append failed, and retries)', async () => {
    const file = fakeFile('a\n', { syncFails: true });
    await expect(appendWhole(file.target, Buffer.from('b\n'))).rejects.toThrow(/EIO/);
    expect(file.text()).toBe('a\n');
  });

  it('appends to a real file opened for appending', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'chat4all-append-'));
    try {
      const name = path.join(dir, 'log');
      writeFileSync(name, 'a\n');
      const handle = await open(name, 'a');
      try {
        await appendWhole(handle, Buffer.from('b\nc\n'));
      } finally {
        await handle.close();
      }
      expect(readFileSync(name, 'utf8')).toBe('a\nb\nc\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
