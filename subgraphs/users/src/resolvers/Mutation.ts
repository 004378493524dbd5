import { randomBytes } from 'node:crypto';
import {
  announceMembershipChange,
  badUserInput,
  hashPassword,
  canonicalUuid,
  notFound,
  requireUser,
  unauthenticated,
  unavailable,
  verifyPassword,
  type Identity,
  type MembershipChange,
} from '@chat4all/common';
import type { UsersLoaders } from '../context';
import type { MutationResolvers } from '../generated/resolvers-types';
import { ConversationNotFoundError, UsernameTakenError, UserNotFoundError } from '../store/port';
import type { Conversation, User } from '../store/port';
import { conversationForMember, notAMember } from './access';
import type { ResolverDeps } from './deps';
import { CREATE_MEMBERS_MAX, checkDisplayName, checkPassword, checkTitle, checkUsername, isUsername } from './input';

const WRONG_CREDENTIALS = 'wrong username or password';

export function mutationResolvers({ repository, jwt, log, announcements, metrics, maxMembers }: ResolverDeps): MutationResolvers {
  // Verified against when the username is unknown, so that answer costs the same scrypt work as a wrong password
  // and response time does not reveal which usernames exist. Hashed once, on first use.
  let decoyHash: Promise<string> | undefined;
  const decoy = () => (decoyHash ??= hashPassword(randomBytes(24).toString('base64url')));

  const authPayload = async (user: User) => ({ token: await jwt.issue(user.id, user.username), user });

  /**
   * The change made known to the services that cache membership. Made after the change is saved, so whoever asks on
   * hearing it reads the new members; also when the call changed nothing, so a retry announces again. A failure is the
   * caller's to see: the change stands, but other services may apply it only after their cache's TTL.
   */
  const announce = async (conversationId: string, userId: string, change: MembershipChange): Promise<void> => {
    if (!announcements) return;
    try {
      await announceMembershipChange(announcements, { conversationId, userId, change }, { metrics });
    } catch (error) {
      log.error({ err: error, conversationId, userId, change }, 'membership change saved but not announced');
      throw unavailable(
        'the membership change is saved, but the event bus did not confirm its announcement: other services apply it within their membership cache TTL; retry to announce it now',
      );
    }
  };

  /** The membership mutations' frame: the caller must be a member; `change` runs and is announced; the conversation answers. */
  const changeMembers = async (
    identity: Identity | null,
    loaders: UsersLoaders,
    conversationId: string,
    userId: string,
    kind: MembershipChange,
    change: (conversationId: string, userId: string) => Promise<unknown>,
  ): Promise<Conversation> => {
    const caller = requireUser(identity);
    // Every user id is a UUID: anything else is nobody's, and could not be announced. Announced as every service
    // keys users (lower case): a notice in another case would match no one's cached conversations.
    const member = canonicalUuid(userId);
    if (member === null) throw badUserInput('userId is not a user id', 'userId');
    const conversation = await conversationForMember(loaders, conversationId, caller.userId);
    if (!conversation) throw notAMember();
    try {
      await change(conversation.id, member);
    } catch (error) {
      // Deleted since it was read: the same answer as for any conversation the caller is not in.
      if (error instanceof ConversationNotFoundError) throw notAMember();
      throw error;
    }
    // The members read earlier in this request, and the caller's membership, are stale now.
    loaders.memberIds.clear(conversation.id);
    loaders.conversationForMember.clear({ conversationId: conversation.id, userId: caller.userId });
    await announce(conversation.id, member, kind);
    return conversation;
  };

  return {
    register: async (_parent, { username, password, displayName }, { loaders }) => {
      checkUsername(username);
      checkPassword(password);
      const name = checkDisplayName(displayName, username);
      const passwordHash = await hashPassword(password);
      let user: User;
      try {
        user = await repository.createUser({ username, displayName: name, passwordHash });
      } catch (error) {
        if (error instanceof UsernameTakenError) throw badUserInput(`username "${username}" is already taken`, 'username');
        throw error;
      }
      loaders.user.prime(user.id, user);
      return authPayload(user);
    },

    /** A wrong username and a wrong password get the same error, after the same hashing work. */
    login: async (_parent, { username, password }, { loaders }) => {
      // Not a name anyone could have registered (too long, a NUL the database would refuse): no lookup, but still the
      // decoy's hashing work below.
      const user = isUsername(username) ? await repository.findUserByUsername(username) : null;
      const matches = await verifyPassword(password, user?.passwordHash ?? (await decoy()));
      if (!user || !matches) throw unauthenticated(WRONG_CREDENTIALS);
      loaders.user.prime(user.id, user);
      return authPayload(user);
    },

    /** The caller is always a member; every other member id must name an existing user. */
    createConversation: async (_parent, { title, memberIds }, { identity, loaders }) => {
      const caller = requireUser(identity);
      const checkedTitle = checkTitle(title);
      const startMax = Math.min(CREATE_MEMBERS_MAX, maxMembers - 1);
      if (memberIds.length > startMax) {
        throw badUserInput(`a conversation starts with at most ${startMax} other members`, 'memberIds');
      }
      try {
        const conversation = await repository.createConversation({ title: checkedTitle, memberIds: [caller.userId, ...memberIds] });
        loaders.conversation.prime(conversation.id, conversation);
        return conversation;
      } catch (error) {
        if (error instanceof UserNotFoundError) {
          throw badUserInput(`no user with id ${error.userIds.map((id) => `"${id}"`).join(', ')}`, 'memberIds');
        }
        throw error;
      }
    },

    /**
     * Members only: a non-member, or a conversation id that does not exist, is FORBIDDEN alike (nothing learned about
     * which ids exist). Adding someone who is already a member succeeds and changes nothing.
     */
    addConversationMember: (_parent, { conversationId, userId }, { identity, loaders }) =>
      changeMembers(identity, loaders, conversationId, userId, 'ADDED', async (id, member) => {
        // Checked before the insert, so two adds at once may pass it together: the bound is on memory, not exact.
        const members = await loaders.memberIds.load(id);
        if (members.length >= maxMembers && !members.includes(member)) {
          throw badUserInput(`a conversation has at most ${maxMembers} members`, 'conversationId');
        }
        try {
          await repository.addMember(id, member);
        } catch (error) {
          if (error instanceof UserNotFoundError) throw notFound(`no user with id "${userId}"`);
          throw error;
        }
      }),

    /**
     * Members only, refused like addConversationMember. Any member may remove another member or leave (remove
     * themselves); removing someone who is not a member succeeds and changes nothing. Subscriptions and sends see the
     * change once its announcement reaches them (docs/subscriptions.md).
     */
    removeConversationMember: (_parent, { conversationId, userId }, { identity, loaders }) =>
      changeMembers(identity, loaders, conversationId, userId, 'REMOVED', (id, member) => repository.removeMember(id, member)),
  };
}
