import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { openEmbeddedDb, type EmbeddedConfig } from '../store/embedded-db';
import { ExpirySweeper, SEND_CLAIM_TTL_MS, systemClock, type Clock, type ExpiryOptions } from '../store/expiry';
import type { ClaimOutcome, ClaimProposal, Lease, SendClaim, SendClaimStore } from './port';

interface ClaimRow {
  sender_id: string;
  client_message_id: string;
  message_id: string;
  conversation_id: string;
  content: string | null;
  file_id: string | null;
  created_at: number;
  state: string;
  lease_owner: string;
  lease_until: number;
}

const COLUMNS = 'sender_id, client_message_id, message_id, conversation_id, content, file_id, created_at, state, lease_owner, lease_until';

/**
 * Claims in the embedded SQLite file. Each call is one immediate transaction, which gives what the Cassandra adapter's
 * lightweight transactions give: one winner among concurrent first attempts, and takeovers only of the lease read.
 * A claim expires `SEND_CLAIM_TTL_MS` after its first write, as Cassandra's row does (CQL 005): from then on it reads
 * as absent, the pair can be claimed afresh, and the sweeper deletes it.
 */
export class EmbeddedSendClaimStore implements SendClaimStore {
  private readonly sql;
  private readonly sweeper: ExpirySweeper;

  private constructor(
    private readonly db: Database.Database,
    private readonly now: Clock,
    sweepIntervalMs: number | undefined,
  ) {
    this.sql = {
      select: db.prepare(`SELECT ${COLUMNS} FROM send_claims WHERE sender_id = ? AND client_message_id = ? AND expires_at > ?`),
      dropExpired: db.prepare('DELETE FROM send_claims WHERE sender_id = ? AND client_message_id = ? AND expires_at <= ?'),
      insert: db.prepare(`INSERT INTO send_claims (${COLUMNS}, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'CLAIMED', ?, ?, ?)`),
      takeOver: db.prepare('UPDATE send_claims SET lease_owner = ?, lease_until = ? WHERE sender_id = ? AND client_message_id = ?'),
      produced: db.prepare(`UPDATE send_claims SET state = 'PRODUCED'
        WHERE sender_id = ? AND client_message_id = ? AND state = 'CLAIMED' AND expires_at > ?`),
      release: db.prepare(`UPDATE send_claims SET lease_until = 0
        WHERE sender_id = ? AND client_message_id = ? AND lease_owner = ? AND state = 'CLAIMED' AND expires_at > ?`),
    };
    this.sweeper = new ExpirySweeper(db, 'send_claims', ['sender_id', 'client_message_id'], now, sweepIntervalMs);
    this.sweeper.start();
  }

  /** Opens the data folder's database, which `migrateEmbedded` must have prepared, and starts sweeping expired claims. */
  static async open(config: EmbeddedConfig, options: ExpiryOptions = {}): Promise<EmbeddedSendClaimStore> {
    return new EmbeddedSendClaimStore(openEmbeddedDb(config), options.now ?? systemClock, options.sweepIntervalMs);
  }

  async claim(proposal: ClaimProposal, leaseMs: number): Promise<ClaimOutcome> {
    const token = randomUUID();
    const lease: Lease = { senderId: proposal.senderId, clientMessageId: proposal.clientMessageId, token };
    return this.db
      .transaction((): ClaimOutcome => {
        const now = this.now();
        const leaseUntil = new Date(now + leaseMs);
        const existing = this.read(proposal.senderId, proposal.clientMessageId, now);
        if (!existing) {
          // An expired claim not swept yet is gone for readers already: the pair starts over, as in Cassandra.
          this.sql.dropExpired.run(proposal.senderId, proposal.clientMessageId, now);
          this.sql.insert.run(
            proposal.senderId,
            proposal.clientMessageId,
            proposal.messageId,
            proposal.conversationId,
            proposal.content ?? null,
            proposal.fileId ?? null,
            proposal.createdAt.getTime(),
            token,
            leaseUntil.getTime(),
            now + SEND_CLAIM_TTL_MS,
          );
          return { kind: 'claimed', claim: { ...proposal, state: 'CLAIMED', leaseUntil }, lease };
        }
        const claim = toClaim(existing);
        if (claim.state === 'PRODUCED') return { kind: 'produced', claim };
        if (claim.leaseUntil.getTime() > now) return { kind: 'busy', claim };
        this.sql.takeOver.run(token, leaseUntil.getTime(), proposal.senderId, proposal.clientMessageId);
        return { kind: 'claimed', claim: { ...claim, leaseUntil }, lease };
      })
      .immediate();
  }

  async markProduced(lease: Lease): Promise<void> {
    this.sql.produced.run(lease.senderId, lease.clientMessageId, this.now());
  }

  async release(lease: Lease): Promise<void> {
    this.sql.release.run(lease.senderId, lease.clientMessageId, lease.token, this.now());
  }

  async get(senderId: string, clientMessageId: string): Promise<SendClaim | null> {
    const row = this.read(senderId, clientMessageId, this.now());
    return row ? toClaim(row) : null;
  }

  /** Deletes the expired claims now (the sweeper does so on its own schedule); answers how many. */
  sweepExpired(): number {
    return this.sweeper.sweep();
  }

  async close(): Promise<void> {
    this.sweeper.stop();
    this.db.close();
  }

  private read(senderId: string, clientMessageId: string, now: number): ClaimRow | undefined {
    return this.sql.select.get(senderId, clientMessageId, now) as ClaimRow | undefined;
  }
}

function toClaim(row: ClaimRow): SendClaim {
  if (row.state !== 'CLAIMED' && row.state !== 'PRODUCED') throw new Error(`unknown send claim state in SQLite: ${row.state}`);
  const claim: SendClaim = {
    senderId: row.sender_id,
    clientMessageId: row.client_message_id,
    messageId: row.message_id,
    conversationId: row.conversation_id,
    createdAt: new Date(row.created_at),
    state: row.state,
    leaseUntil: new Date(row.lease_until),
  };
  if (row.content !== null) claim.content = row.content;
  if (row.file_id !== null) claim.fileId = row.file_id;
  return claim;
}
