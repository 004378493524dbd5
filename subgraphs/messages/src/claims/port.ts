/**
 * Idempotency claims for sends that carry a client message id: the first send of (sender, clientMessageId) claims the
 * pair for one message, and every later or concurrent send with the same pair gets that same message.
 */
export interface SendClaimStore {
  /**
   * Claims the pair for `proposal`, or tells who has it. When the pair is held by an expired lease (its request
   * failed before producing), the caller takes it over: the outcome is `claimed` with the EXISTING message, so a retry
   * re-produces the same id rather than losing or duplicating the message.
   */
  claim(proposal: ClaimProposal, leaseMs: number): Promise<ClaimOutcome>;
  /** The event is on the bus: later sends with this pair answer with the claimed message. */
  markProduced(lease: Lease): Promise<void>;
  /** Producing failed: gives up the lease at once so the client's retry takes over without waiting for it to expire. */
  release(lease: Lease): Promise<void>;
  /** The claim as it stands, read linearizably, or null. */
  get(senderId: string, clientMessageId: string): Promise<SendClaim | null>;
  close(): Promise<void>;
}

export type ClaimState = 'CLAIMED' | 'PRODUCED';

/** The message a claim names: everything needed to produce its MessageAccepted event again, identically. */
export interface ClaimedMessage {
  messageId: string;
  conversationId: string;
  senderId: string;
  clientMessageId: string;
  content?: string;
  fileId?: string;
  createdAt: Date;
}

export type ClaimProposal = ClaimedMessage;

export interface SendClaim extends ClaimedMessage {
  state: ClaimState;
  /** Until when the request that holds a CLAIMED pair may still be producing. */
  leaseUntil: Date;
}

/** Proof that this caller holds a pair, for `markProduced` / `release`. */
export interface Lease {
  senderId: string;
  clientMessageId: string;
  token: string;
}

export type ClaimOutcome =
  /** This caller holds the pair and must produce `claim`'s message, then `markProduced` (or `release` on failure). */
  | { kind: 'claimed'; claim: SendClaim; lease: Lease }
  /** The message was produced before: answer with it, produce nothing. */
  | { kind: 'produced'; claim: SendClaim }
  /** Another request holds a live lease and may be producing right now: wait and ask again. */
  | { kind: 'busy'; claim: SendClaim };
