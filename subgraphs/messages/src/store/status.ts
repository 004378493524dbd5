import { canAdvanceStatus, statusRank } from '@chat4all/common';
import type { MessageStatus, StatusTransition } from './types';

// The ordering rules are the event contracts' (common/src/contracts/events.ts), defined once.
export { statusRank };

/**
 * Status only moves forward: SENT < DELIVERED < READ; FAILED ends it from any earlier state. READ and FAILED are
 * final. A repeated status is not a move.
 */
export const canAdvance: (current: MessageStatus | null, next: MessageStatus) => boolean = canAdvanceStatus;

export interface StoredStatus extends StatusTransition {
  reason?: string;
}

export interface DerivedStatus {
  status: MessageStatus;
  statusHistory: StatusTransition[];
  failureReason?: string;
}

/**
 * Current status and history of a message created at `sentAt`, from the stored rows of the statuses it reached after
 * SENT (SENT itself is implied by the message existing, so it costs no row).
 *
 * Rows are written only after a `canAdvance` check, but without lightweight transactions two racing writers can both
 * pass it (READ and FAILED for the same message). So the rows are replayed in rank order, and of two final statuses
 * the one that happened first wins (READ on a tie): every reader sees the same answer whatever the write order.
 */
export function deriveStatus(sentAt: Date, rows: readonly StoredStatus[]): DerivedStatus {
  const ordered = rows.filter((r) => r.status !== 'SENT').sort((a, b) => statusRank(a.status) - statusRank(b.status));
  const read = ordered.find((r) => r.status === 'READ');
  const failed = ordered.find((r) => r.status === 'FAILED');
  if (read && failed && failed.at.getTime() < read.at.getTime()) {
    ordered.splice(ordered.indexOf(failed), 1);
    ordered.splice(ordered.indexOf(read), 0, failed);
  }
  let current: StoredStatus = { status: 'SENT', at: sentAt };
  const statusHistory: StatusTransition[] = [{ status: 'SENT', at: sentAt }];
  for (const row of ordered) {
    if (!canAdvance(current.status, row.status)) continue;
    current = row;
    statusHistory.push({ status: row.status, at: row.at });
  }
  const derived: DerivedStatus = { status: current.status, statusHistory };
  if (current.status === 'FAILED' && current.reason !== undefined) derived.failureReason = current.reason;
  return derived;
}

/**
 * The time a new transition is recorded at. Times come from several clocks (ours, and platforms whose webhooks carry
 * whole seconds), so a later transition can carry an earlier time; it is recorded no earlier than the one before it
 * (or the message's own time), keeping statusHistory in time order.
 */
export function transitionTime(messageTimeMs: number, previous: readonly StatusTransition[], at: Date): Date {
  const floor = Math.max(messageTimeMs, ...previous.map((t) => t.at.getTime()));
  return at.getTime() < floor ? new Date(floor) : at;
}
