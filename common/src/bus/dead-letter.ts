import { deadLetterTopic } from '../contracts/topics';
import type { BusRecord, OutgoingRecord } from './port';

/**
 * Headers on a dead-lettered record: where it came from (topic, partition, offset), why it was set aside (`poison`: it
 * cannot be decoded; `gave-up`: its handler failed every attempt), the reason, the consumer group and the attempts.
 */
export const DEAD_LETTER_HEADERS = {
  topic: 'dead-letter-topic',
  partition: 'dead-letter-partition',
  offset: 'dead-letter-offset',
  reason: 'dead-letter-reason',
  kind: 'dead-letter-kind',
  group: 'dead-letter-group',
  attempts: 'dead-letter-attempts',
} as const;

export type DeadLetterKind = 'poison' | 'gave-up';

const MAX_REASON_LENGTH = 1000;

export type Publish = (topic: string, records: readonly OutgoingRecord[]) => Promise<void>;

/**
 * Copies the record, byte for byte and with its key and headers, to the group's dead-letter topic. Resolves once the
 * copy is durable (the caller commits the original only then) with the dead-letter topic's name.
 */
export async function publishDeadLetter(
  publish: Publish,
  groupId: string,
  record: BusRecord,
  dead: { kind: DeadLetterKind; reason: string; attempts: number },
): Promise<string> {
  const topic = deadLetterTopic(groupId);
  const H = DEAD_LETTER_HEADERS;
  await publish(topic, [
    {
      key: record.key,
      value: record.value,
      headers: {
        ...record.headers,
        [H.topic]: record.topic,
        [H.partition]: String(record.partition),
        [H.offset]: record.offset,
        [H.reason]: dead.reason.slice(0, MAX_REASON_LENGTH),
        [H.kind]: dead.kind,
        [H.group]: groupId,
        [H.attempts]: String(dead.attempts),
      },
    },
  ]);
  return topic;
}
