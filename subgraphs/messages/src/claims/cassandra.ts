import { randomUUID } from 'node:crypto';
import { types, type Client, type QueryOptions } from 'cassandra-driver';
import type { CassandraConfig } from '@chat4all/common';
import { connectCassandra } from '../store/client';
import type { ClaimOutcome, ClaimProposal, ClaimState, Lease, SendClaim, SendClaimStore } from './port';

const COLUMNS = 'sender_id, client_message_id, message_id, conversation_id, content, file_id, created_at, state, lease_owner, lease_until';

const CQL = {
  insert: `INSERT INTO send_claims (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS`,
  takeOver: `UPDATE send_claims SET lease_owner = ?, lease_until = ? WHERE sender_id = ? AND client_message_id = ?
    IF lease_owner = ? AND state = 'CLAIMED'`,
  produced: `UPDATE send_claims SET state = 'PRODUCED' WHERE sender_id = ? AND client_message_id = ? IF state = 'CLAIMED'`,
  release: `UPDATE send_claims SET lease_until = ? WHERE sender_id = ? AND client_message_id = ?
    IF lease_owner = ? AND state = 'CLAIMED'`,
  select: `SELECT ${COLUMNS} FROM send_claims WHERE sender_id = ? AND client_message_id = ?`,
} as const;

/**
 * Lightweight transactions are global (SERIAL): two regions must not both claim one pair. The driver must not retry a
 * CAS on its own (its outcome may be unknown); a retried claim is recognised by the lease token instead (below).
 */
const LWT: QueryOptions = { prepare: true, isIdempotent: false, serialConsistency: types.consistencies.serial };
/** A linearizable read sees the outcome of any Paxos round that may have been accepted but not yet fully committed. */
const SERIAL_READ: QueryOptions = { prepare: true, consistency: types.consistencies.serial };

/** How many times one `claim` call tries to take over an expired lease before telling the caller to wait. */
const TAKE_OVER_ATTEMPTS = 3;

interface ClaimRow extends SendClaim {
  leaseOwner: string;
}

/**
 * Claims on Cassandra (`send_claims`, migration 003). This is the project's one use of lightweight transactions: it is
 * paid only by sends that carry a client message id (sends without one never touch this table), and a compare-and-set
 * is the only way two concurrent first attempts can agree on a single message id; plain upserts would let both win.
 */
export class CassandraSendClaimStore implements SendClaimStore {
  private constructor(private readonly client: Client) {}

  static async connect(config: CassandraConfig): Promise<CassandraSendClaimStore> {
    return new CassandraSendClaimStore(await connectCassandra(config, { keyspace: config.CASSANDRA_KEYSPACE }));
  }

  async claim(proposal: ClaimProposal, leaseMs: number): Promise<ClaimOutcome> {
    const token = randomUUID();
    const leaseUntil = new Date(Date.now() + leaseMs);
    const inserted = await this.client.execute(
      CQL.insert,
      [
        proposal.senderId,
        proposal.clientMessageId,
        proposal.messageId,
        proposal.conversationId,
        proposal.content,
        proposal.fileId,
        proposal.createdAt,
        'CLAIMED' satisfies ClaimState,
        token,
        leaseUntil,
      ],
      LWT,
    );
    const lease: Lease = { senderId: proposal.senderId, clientMessageId: proposal.clientMessageId, token };
    // A CAS retried under us (e.g. after a lost reply) reports "not applied" with our own row: it is still ours.
    if (inserted.wasApplied() || inserted.first()?.get('lease_owner') === token) {
      return { kind: 'claimed', claim: { ...proposal, state: 'CLAIMED', leaseUntil }, lease };
    }

    let existing: ClaimRow | null = toClaim(inserted.first());
    for (let attempt = 0; existing && attempt < TAKE_OVER_ATTEMPTS; attempt++) {
      if (existing.state === 'PRODUCED') return { kind: 'produced', claim: publicClaim(existing) };
      // Lease times come from the holders' clocks: skew between instances shortens or lengthens a lease, never more.
      if (existing.leaseUntil.getTime() > Date.now()) return { kind: 'busy', claim: publicClaim(existing) };
      const until = new Date(Date.now() + leaseMs);
      const taken = await this.client.execute(
        CQL.takeOver,
        [token, until, proposal.senderId, proposal.clientMessageId, existing.leaseOwner],
        LWT,
      );
      if (taken.wasApplied() || taken.first()?.get('lease_owner') === token) {
        return { kind: 'claimed', claim: { ...publicClaim(existing), leaseUntil: until }, lease };
      }
      existing = await this.read(proposal.senderId, proposal.clientMessageId);
    }
    if (!existing) throw new Error('send claim vanished while being taken over'); // claims are never deleted
    return { kind: existing.state === 'PRODUCED' ? 'produced' : 'busy', claim: publicClaim(existing) };
  }

  async markProduced(lease: Lease): Promise<void> {
    // Not applied only when it is PRODUCED already (another holder finished first): the same end state.
    await this.client.execute(CQL.produced, [lease.senderId, lease.clientMessageId], LWT);
  }

  async release(lease: Lease): Promise<void> {
    await this.client.execute(CQL.release, [new Date(0), lease.senderId, lease.clientMessageId, lease.token], LWT);
  }

  async get(senderId: string, clientMessageId: string): Promise<SendClaim | null> {
    const row = await this.read(senderId, clientMessageId);
    return row ? publicClaim(row) : null;
  }

  /** For readiness: an empty list when the cluster answers a query on this connection pool. */
  async ping(): Promise<string[]> {
    await this.client.execute('SELECT release_version FROM system.local');
    return [];
  }

  async close(): Promise<void> {
    await this.client.shutdown();
  }

  private async read(senderId: string, clientMessageId: string): Promise<ClaimRow | null> {
    return toClaim((await this.client.execute(CQL.select, [senderId, clientMessageId], SERIAL_READ)).first());
  }
}

function toClaim(row: types.Row | undefined | null): ClaimRow | null {
  if (!row || row.get('message_id') === null || row.get('message_id') === undefined) return null;
  const state = row.get('state') as string;
  if (state !== 'CLAIMED' && state !== 'PRODUCED') throw new Error(`unknown send claim state in Cassandra: ${state}`);
  const claim: ClaimRow = {
    senderId: row.get('sender_id') as string,
    clientMessageId: row.get('client_message_id') as string,
    messageId: row.get('message_id') as string,
    conversationId: row.get('conversation_id') as string,
    createdAt: row.get('created_at') as Date,
    state,
    leaseOwner: row.get('lease_owner') as string,
    leaseUntil: row.get('lease_until') as Date,
  };
  const content = row.get('content') as string | null;
  if (content !== null) claim.content = content;
  const fileId = row.get('file_id') as string | null;
  if (fileId !== null) claim.fileId = fileId;
  return claim;
}

function publicClaim(row: ClaimRow): SendClaim {
  const { leaseOwner: _leaseOwner, ...claim } = row;
  return claim;
}
