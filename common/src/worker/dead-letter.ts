import { deadLetterTopic } from '../contracts/topics';
import { DEAD_LETTER_HEADERS, type BusRecord, type EventBus } from '../bus/port';

/**
 * Headers on a record a worker set aside: the bus's own (origin topic, partition, offset, reason) plus what the worker
 * runtime knows: why (`poison`: it cannot be decoded; `gave-up`: its handler failed every attempt), which group, and
 * after how many attempts.
 */
export const WORKER_DEAD_LETTER_HEADERS = {
  ...DEAD_LETTER_HEADERS,
  kind: 'dead-letter-kind',
  group: 'dead-letter-group',
  attempts: 'dead-letter-attempts',
} as const;

export type DeadLetterKind = 'poison' | 'gave-up';

const MAX_REASON_LENGTH = 1000;

/**
 * Copies the record, byte for byte and with its key and headers, to the group's dead-letter topic. Resolves once the
 * copy is durable; the caller commits the original only then.
 */
export async function publishDeadLetter(
  bus: EventBus,
  groupId: string,
  record: BusRecord,
  dead: { kind: DeadLetterKind; reason: string; attempts: number },
): Promise<string> {
  const topic = deadLetterTopic(groupId);
  const H = WORKER_DEAD_LETTER_HEADERS;
  await bus.publish(topic, [
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
