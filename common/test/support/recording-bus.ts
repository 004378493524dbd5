import type { EventBus, OutgoingRecord, PartitionOffsets, Reader, Subscription } from '../../src/bus/port';

/** A bus that keeps what is published (in order) and can be told to fail publishes; subscribing and reading are not supported. */
export class RecordingBus implements EventBus {
  readonly published: { topic: string; record: OutgoingRecord }[] = [];
  /** Publishes fail while this is positive (each failure decrements it). */
  failNext = 0;

  async publish(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
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
