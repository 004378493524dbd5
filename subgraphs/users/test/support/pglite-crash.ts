import { openPgliteUserRepository } from '../../src/store/pglite';

// Child process of the PGlite restart test: opens the folder given as argv[2], creates a user and a conversation,
// prints their ids, then dies by SIGKILL without closing anything (a crash, not a clean stop).
async function main(): Promise<void> {
  const repository = await openPgliteUserRepository(process.argv[2]!);
  const user = await repository.createUser({ username: `crash_${process.pid}`, displayName: 'before the crash', passwordHash: 'h' });
  const conversation = await repository.createConversation({ title: 'crash', memberIds: [user.id] });
  process.stdout.write(`${JSON.stringify({ userId: user.id, conversationId: conversation.id })}\n`, () => process.kill(process.pid, 'SIGKILL'));
}

void main();
