import { forbidden, unauthenticated, type Identity } from '@chat4all/common';
import type { UsersLoaders } from '../context';
import type { Conversation } from '../store/port';

/** Any verified caller: a user (through the gateway) or a peer service. Anonymous requests are refused. */
export function requireIdentity(identity: Identity | null): Identity {
  if (!identity) throw unauthenticated();
  return identity;
}

const sameId = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/**
 * The conversation when `userId` belongs to it, else null. A conversation that does not exist and one the user is
 * not in give the same answer, so callers can refuse both alike and nobody learns which ids exist.
 */
export async function conversationForMember(loaders: UsersLoaders, conversationId: string, userId: string): Promise<Conversation | null> {
  const [conversation, members] = await Promise.all([loaders.conversation.load(conversationId), loaders.memberIds.load(conversationId)]);
  if (!conversation || !members.some((member) => sameId(member, userId))) return null;
  return conversation;
}

/** The refusal for acting on a conversation the caller is not in, or that does not exist (the same answer for both). */
export const notAMember = () => forbidden('you are not a member of this conversation');
