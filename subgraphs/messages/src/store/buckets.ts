import { messageIdTime } from './ids';

/**
 * A conversation's messages are split into one partition per UTC day, named by the int yyyymmdd (readable in cqlsh,
 * and numeric order is time order). A day keeps partitions bounded even for very busy conversations; sparse
 * conversations cost nothing extra because history only visits days listed in `conversation_buckets`.
 */
export function bucketOfTime(ms: number): number {
  const d = new Date(ms);
  return d.getUTCFullYear() * 10_000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
}

export function bucketOfId(id: string): number {
  return bucketOfTime(messageIdTime(id));
}
