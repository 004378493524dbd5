/** The FileHandle methods an append uses (a test hands in one that fails part-way). */
export interface AppendTarget {
  stat(): Promise<{ size: number }>;
  write(buffer: Buffer, offset: number, length: number): Promise<{ bytesWritten: number }>;
  datasync(): Promise<void>;
  truncate(length: number): Promise<void>;
}

/**
 * Appends all of `data` and syncs it, or leaves the file as it was. One write may take only part of the bytes (libuv
 * reports a short count as success when the disk fills mid-way), so it writes until all are in; if anything fails, the
 * file is cut back to its size before, so no torn line is left for the next append to join onto (a line that does not
 * parse would stop every reader of the partition).
 */
export async function appendWhole(handle: AppendTarget, data: Buffer): Promise<void> {
  const { size } = await handle.stat();
  try {
    for (let done = 0; done < data.length; ) {
      const { bytesWritten } = await handle.write(data, done, data.length - done);
      if (bytesWritten <= 0) throw new Error(`append stopped after ${done} of ${data.length} bytes`);
      done += bytesWritten;
    }
    await handle.datasync();
  } catch (error) {
    await handle.truncate(size).catch(() => undefined);
    throw error;
  }
}
