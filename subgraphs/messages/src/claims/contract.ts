import { randomUUID } from 'node:crypto';
import { messageIdTime, newMessageId } from '../store/ids';
import type { ClaimProposal, SendClaimStore } from './port';

const LONG_LEASE_MS = 60_000;

/**
 * The behaviour every SendClaimStore adapter must have. Fresh senders and client message ids per test, so the suite
 * re-runs on the same engine without cleanup. `setup` is called once; the suite closes the store.
 */
export function describeSendClaimStoreContract(name: string, setup: () => Promise<SendClaimStore>): void {
  describe(`SendClaimStore contract: ${name}`, () => {
    let claims: SendClaimStore;

    beforeAll(async () => {
      claims = await setup();
    });

    afterAll(async () => {
      await claims?.close();
    });

    function proposal(extra: Partial<ClaimProposal> = {}): ClaimProposal {
      const messageId = newMessageId();
      return {
        messageId,
        conversationId: randomUUID(),
        senderId: randomUUID(),
        clientMessageId: `client-${randomUUID()}`,
        content: `hello ${messageId}`,
        createdAt: new Date(messageIdTime(messageId)),
        ...extra,
      };
    }

    /** A second attempt at the same pair, with a different id and content (a client retry after a timeout). */
    function retryOf(first: ClaimProposal): ClaimProposal {
      return proposal({ senderId: first.senderId, clientMessageId: first.clientMessageId, content: 'retried' });
    }

    const message = ({ messageId, conversationId, senderId, clientMessageId, content, fileId, createdAt }: ClaimProposal) => ({
      messageId,
      conversationId,
      senderId,
      clientMessageId,
      ...(content === undefined ? {} : { content }),
      ...(fileId === undefined ? {} : { fileId }),
      createdAt,
    });

    it('the first claim wins with its own message, and reads back as CLAIMED', async () => {
      const first = proposal({ fileId: `file-${randomUUID()}` });
      const outcome = await claims.claim(first, LONG_LEASE_MS);
      expect(outcome.kind).toBe('claimed');
      expect(outcome.claim).toMatchObject({ ...message(first), state: 'CLAIMED' });
      const stored = await claims.get(first.senderId, first.clientMessageId);
      expect(stored).toMatchObject({ ...message(first), state: 'CLAIMED' });
      expect(stored?.leaseUntil.getTime()).toBeGreaterThan(Date.now());
    });

    it('keeps absent content or file absent', async () => {
      const first = proposal({ fileId: `file-${randomUUID()}` });
      delete first.content;
      await claims.claim(first, LONG_LEASE_MS);
      const stored = await claims.get(first.senderId, first.clientMessageId);
      expect(stored).not.toBeNull();
      expect('content' in stored!).toBe(false);
      expect(stored?.fileId).toBe(first.fileId);
    });

    it('answers busy with the first message while its lease is live, produced once marked', async () => {
      const first = proposal();
      const won = await claims.claim(first, LONG_LEASE_MS);
      if (won.kind !== 'claimed') throw new Error(`expected claimed, got ${won.kind}`);

      const busy = await claims.claim(retryOf(first), LONG_LEASE_MS);
      expect(busy.kind).toBe('busy');
      expect(busy.claim).toMatchObject(message(first));

      await claims.markProduced(won.lease);
      const produced = await claims.claim(retryOf(first), LONG_LEASE_MS);
      expect(produced.kind).toBe('produced');
      expect(produced.claim).toMatchObject({ ...message(first), state: 'PRODUCED' });
      expect((await claims.get(first.senderId, first.clientMessageId))?.state).toBe('PRODUCED');
    });

    it('a retry takes over an expired lease with the original message, not its own', async () => {
      const first = proposal();
      expect((await claims.claim(first, 1)).kind).toBe('claimed');
      await new Promise((resolve) => setTimeout(resolve, 20));
      const retry = await claims.claim(retryOf(first), LONG_LEASE_MS);
      expect(retry.kind).toBe('claimed');
      expect(retry.claim).toMatchObject({ ...message(first), state: 'CLAIMED' });
      expect(retry.claim.leaseUntil.getTime()).toBeGreaterThan(Date.now() + LONG_LEASE_MS / 2);
      // The new lease is live: a third attempt waits for it.
      expect((await claims.claim(retryOf(first), LONG_LEASE_MS)).kind).toBe('busy');
    });

    it('release hands the pair to the next attempt at once; a stale lease cannot release the new holder', async () => {
      const first = proposal();
      const won = await claims.claim(first, LONG_LEASE_MS);
      if (won.kind !== 'claimed') throw new Error(`expected claimed, got ${won.kind}`);
      await claims.release(won.lease);

      const retry = await claims.claim(retryOf(first), LONG_LEASE_MS);
      if (retry.kind !== 'claimed') throw new Error(`expected claimed after release, got ${retry.kind}`);
      expect(retry.claim.messageId).toBe(first.messageId);

      await claims.release(won.lease); // the old holder's lease is gone
      expect((await claims.claim(retryOf(first), LONG_LEASE_MS)).kind).toBe('busy');
      await claims.markProduced(retry.lease);
      expect((await claims.claim(retryOf(first), LONG_LEASE_MS)).kind).toBe('produced');
    });

    it('of concurrent first attempts exactly one wins and all name the same message', async () => {
      const first = proposal();
      const attempts = [first, ...Array.from({ length: 7 }, () => retryOf(first))];
      const outcomes = await Promise.all(attempts.map((p) => claims.claim(p, LONG_LEASE_MS)));
      expect(outcomes.filter((o) => o.kind === 'claimed')).toHaveLength(1);
      expect(outcomes.filter((o) => o.kind === 'busy')).toHaveLength(attempts.length - 1);
      const ids = new Set(outcomes.map((o) => o.claim.messageId));
      expect(ids.size).toBe(1);
      const winner = attempts.find((p) => ids.has(p.messageId));
      expect(winner).toBeDefined();
      expect(await claims.get(first.senderId, first.clientMessageId)).toMatchObject(message(winner!));
    });

    it('the pair is per sender', async () => {
      const first = proposal();
      const other = proposal({ clientMessageId: first.clientMessageId });
      expect((await claims.claim(first, LONG_LEASE_MS)).kind).toBe('claimed');
      const outcome = await claims.claim(other, LONG_LEASE_MS);
      expect(outcome.kind).toBe('claimed');
      expect(outcome.claim.messageId).toBe(other.messageId);
      expect(await claims.get(randomUUID(), first.clientMessageId)).toBeNull();
    });
  });
}
