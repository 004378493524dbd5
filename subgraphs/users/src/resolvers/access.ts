import { forbidden, unauthenticated, type Identity } from '@chat4all/common';
import type { UsersLoaders } from '../context';
import type { Conversation } from '../store/port';

/** Any verified caller: a user (through the gateway) or a peer service. Anonymous requests are refused. */
export function requireIdentity(identity: Identity | null): Identity {
  if (!identity) throw unauthenticated();
  return identity;
}

/**
 * The conversation when `userId` belongs to it, else null. A conversation that does not exist and one the user is
 * not in give the same answer, so callers can refuse both alike and nobody learns which ids exist. One statement per
 * tick for all such checks, without reading the member list.
 */
export function conversationForMember(loaders: UsersLoaders, conversationId: string, userId: string): Promise<Conversation | null> {
  return loaders.conversationForMember.load({ conversationId, userId });
}

/** The refusal for acting on a conversation the caller is not in, or that does not exist (the same answer for both). */
export const notAMember = () => forbidden('you are not a member of this conversation');
