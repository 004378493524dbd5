import type { EventBus, OutgoingRecord, PartitionOffsets, Reader, Subscription } from '../../src/bus/port';

/** A bus that keeps what is published (in order) and can be told to fail publishes; subscribing and reading are not supported. */
export class RecordingBus implements EventBus {
  readonly published: { topic: string; record: OutgoingRecord }[] = [];
  /** Publishes fail while this is positive (each failure decrements it). */
  failNext = 0;
  /** Publishes waiting for `hold`'s gate to open. */
  waiting = 0;
  private gate: Promise<void> | undefined;

  /** Publishes wait until the returned function is called (set `failNext` first to have a held one fail). */
  hold(): () => void {
    let open: () => void = () => undefined;
    this.gate = new Promise<void>((resolve) => (open = resolve));
    return () => {
      this.gate = undefined;
      open();
    };
  }

  async publish(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    if (this.gate) {
      this.waiting += 1;
      await this.gate;
      this.waiting -= 1;
    }
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error(`publish to ${topic} failed (test)`);
    }
    for (const record of records) this.published.push({ topic, record });
  }

  subscribe(): Promise<Subscription> {
    return Promise.reject(new Error('RecordingBus does not consume'));
  }

  offsets(): Promise<PartitionOffsets[]> {
    return Promise.reject(new Error('RecordingBus does not consume'));
  }

  read(): Promise<Reader> {
    return Promise.reject(new Error('RecordingBus does not consume'));
  }

  async close(): Promise<void> {}

  on(topic: string): OutgoingRecord[] {
    return this.published.filter((p) => p.topic === topic).map((p) => p.record);
  }
}
