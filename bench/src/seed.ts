import { createHash, randomBytes } from 'node:crypto';
import { newUuidV7 } from '@chat4all/common';
import { BlobFileRecordStore, S3BlobStore } from '@chat4all/files';
import { CassandraMessageStore, messageIdTime, newMessageId } from '@chat4all/messages';
import { forEachBounded } from './concurrency';
import { bearer, graphql } from './graphql';
import type { BenchStack } from './stack';

/**
 * Test data for the read benchmarks. Users and conversations go through the gateway (passwords hashed, members
 * checked, as in production); messages and file records, which would take minutes through the API, go straight
 * into the stores the subgraphs read, with concurrent prepared statements.
 */

export interface SeedUser {
  id: string;
  username: string;
  token: string;
}

const PASSWORD = 'benchmark password, long enough';
const REGISTER = 'mutation ($username: String!, $password: String!) { register(username: $username, password: $password) { token user { id } } }';
const CREATE = 'mutation ($title: String, $memberIds: [ID!]!) { createConversation(title: $title, memberIds: $memberIds) { id } }';

/** A short tag that keeps one run's usernames apart from every other run's. */
export function runTag(): string {
  return randomBytes(4).toString('hex');
}

export async function registerUsers(graphqlUrl: string, usernames: string[]): Promise<SeedUser[]> {
  const users = new Array<SeedUser>(usernames.length);
  // Password hashing is deliberately slow; a few at a time keeps the users subgraph answering.
  await forEachBounded(usernames.length, 4, async (i) => {
    const username = usernames[i]!;
    const data = await graphql<{ register: { token: string; user: { id: string } } }>(graphqlUrl, REGISTER, { username, password: PASSWORD });
    users[i] = { id: data.register.user.id, username, token: data.register.token };
  });
  return users;
}

/** Conversations created by `owner`, the i-th with `others[i]` as its other members; their ids in order. */
export async function createConversations(graphqlUrl: string, owner: SeedUser, others: string[][]): Promise<string[]> {
  const ids = new Array<string>(others.length);
  await forEachBounded(others.length, 8, async (i) => {
    const data = await graphql<{ createConversation: { id: string } }>(graphqlUrl, CREATE, { title: `bench ${i}`, memberIds: others[i] }, bearer(owner.token));
    ids[i] = data.createConversation.id;
  });
  return ids;
}

/** File records (metadata only: history pages read metadata and sign URLs, never content) owned by `ownerId`. */
export async function saveFileRecords(stack: BenchStack, ownerId: string, count: number): Promise<string[]> {
  const records = new BlobFileRecordStore(new S3BlobStore(stack.s3));
  const ids = Array.from({ length: count }, () => newUuidV7());
  const sha256 = createHash('sha256').update('bench').digest('hex');
  await forEachBounded(count, 16, async (i) => {
    await records.save({ id: ids[i]!, filename: `attachment-${i}.txt`, contentType: 'text/plain', size: 5, sha256, ownerId, createdAt: new Date() });
  });
  return ids;
}

const INSERT_ATTEMPTS = 5;

export interface MessagePlan {
  conversationId: string;
  count: number;
  /** Senders in turn. */
  senderIds: string[];
  /** The attachment of the i-th message, if any. */
  fileOf?: (index: number) => string | undefined;
}

/** Inserts each plan's messages through the Cassandra MessageStore, `concurrency` inserts in flight. */
export async function insertMessages(stack: BenchStack, plans: MessagePlan[], concurrency = 64, onProgress?: (done: number) => void): Promise<number> {
  const store = await CassandraMessageStore.connect(stack.cassandra);
  const work = plans.flatMap((plan) => Array.from({ length: plan.count }, (_, i) => ({ plan, i })));
  let done = 0;
  try {
    await forEachBounded(work.length, concurrency, async (n) => {
      const { plan, i } = work[n]!;
      const id = newMessageId();
      const fileId = plan.fileOf?.(i);
      const message = {
        id,
        conversationId: plan.conversationId,
        senderId: plan.senderIds[i % plan.senderIds.length]!,
        content: `benchmark message ${i}: about as long as an ordinary chat line, a sentence or two of text`,
        ...(fileId === undefined ? {} : { fileId }),
        createdAt: new Date(messageIdTime(id)),
      };
      // A write timing out under a million-row load is retried (inserts are idempotent) rather than failing the run.
      for (let attempt = 1; ; attempt++) {
        try {
          await store.insert(message);
          break;
        } catch (error) {
          if (attempt >= INSERT_ATTEMPTS) throw error;
          await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
        }
      }
      if (++done % 10_000 === 0) onProgress?.(done);
    });
  } finally {
    await store.close();
  }
  return done;
}
