/** Users, conversations and who belongs to which: the users subgraph's storage, whatever the engine. */
export interface UserRepository {
  /** `UsernameTakenError` when the username is in use, compared without regard to case. */
  createUser(input: NewUser): Promise<User>;
  findUserById(id: string): Promise<User | null>;
  /**
   * One round trip for many ids (what a DataLoader batch needs). The result is aligned with `ids`:
   * entry i is the user with id `ids[i]`, or null when there is none.
   */
  findUsersByIds(ids: readonly string[]): Promise<(User | null)[]>;
  /** Case-insensitive. */
  findUserByUsername(username: string): Promise<User | null>;

  /** `UserNotFoundError` when a member id names no user; repeated ids count once. */
  createConversation(input: NewConversation): Promise<Conversation>;
  /**
   * Adds the user to the conversation; true when newly added, false when already a member.
   * `ConversationNotFoundError` / `UserNotFoundError` when either is missing.
   */
  addMember(conversationId: string, userId: string): Promise<boolean>;
  /**
   * Takes the user out of the conversation; true when removed, false when not a member (so a repeated call changes
   * nothing). `ConversationNotFoundError` when the conversation is missing.
   */
  removeMember(conversationId: string, userId: string): Promise<boolean>;
  isMember(conversationId: string, userId: string): Promise<boolean>;
  /** Member user ids in the order they joined; empty for an unknown conversation. */
  memberIds(conversationId: string): Promise<string[]>;
  /**
   * One round trip for many conversations (what a DataLoader batch needs), aligned with `ids`: entry i is
   * the conversation with id `ids[i]`, or null when there is none.
   */
  findConversationsByIds(ids: readonly string[]): Promise<(Conversation | null)[]>;
  /**
   * The conversations each member may see, in one round trip, aligned with `pairs`: entry i is the conversation
   * `pairs[i].conversationId` when `pairs[i].userId` is one of its members, else null (unknown conversation, unknown
   * user or not a member alike). What an access check needs, without reading the member list.
   */
  findConversationsForMembers(pairs: readonly MemberOf[]): Promise<(Conversation | null)[]>;
  /**
   * `memberIds` for many conversations in one round trip, aligned with `conversationIds` (empty lists for
   * unknown conversations).
   */
  memberIdsOf(conversationIds: readonly string[]): Promise<string[][]>;
  /**
   * The ids of the conversations each user belongs to, in one round trip, aligned with `userIds` (empty lists for
   * unknown users).
   */
  conversationIdsOf(userIds: readonly string[]): Promise<string[][]>;
  /**
   * The user's conversations, most recent activity first (ties broken by id), one page at a time.
   * `after` is the `endCursor` of the previous page; a cursor this store did not issue is an
   * `InvalidCursorError`.
   */
  listConversationsForUser(userId: string, page: PageRequest): Promise<ConversationPage>;
  /**
   * Records activity at `at`. Only ever moves `lastActivityAt` forward, so late or repeated events
   * cannot reorder the list backwards. True when the conversation's time moved.
   */
  touchConversation(conversationId: string, at: Date): Promise<boolean>;
  /**
   * `touchConversation` for many at once (one statement): each conversation moves to its latest `at` among the
   * touches, only forward. Answers how many conversations moved.
   */
  touchConversations(touches: readonly ConversationTouch[]): Promise<number>;

  close(): Promise<void>;
}

/** A user and a conversation they may belong to. */
export interface MemberOf {
  conversationId: string;
  userId: string;
}

/** One pair's identity: ids compare without regard to case. */
export const memberOfKey = ({ conversationId, userId }: MemberOf): string => `${conversationId.toLowerCase()} ${userId.toLowerCase()}`;

export interface ConversationTouch {
  conversationId: string;
  at: Date;
}

export interface User {
  id: string;
  /** As the user typed it; uniqueness ignores case. */
  username: string;
  displayName: string;
  passwordHash: string;
  createdAt: Date;
}

export interface NewUser {
  username: string;
  displayName: string;
  passwordHash: string;
}

export interface Conversation {
  id: string;
  title: string | null;
  createdAt: Date;
  lastActivityAt: Date;
}

export interface NewConversation {
  title: string | null;
  memberIds: readonly string[];
}

export interface PageRequest {
  /** Page size, 1 to MAX_PAGE_SIZE. */
  first: number;
  after?: string | null;
}

export interface ConversationPage {
  items: Conversation[];
  /** Cursor of the last item, null on an empty page. */
  endCursor: string | null;
  hasNextPage: boolean;
}

export const MAX_PAGE_SIZE = 100;

/** The form a username is compared in: Unicode-compatibility normalized, then lower case. */
export function normalizeUsername(username: string): string {
  return username.normalize('NFKC').toLowerCase();
}

export class UsernameTakenError extends Error {
  constructor(readonly username: string) {
    super(`username "${username}" is already taken`);
    this.name = 'UsernameTakenError';
  }
}

export class UserNotFoundError extends Error {
  constructor(readonly userIds: readonly string[]) {
    super(`no user with id ${userIds.map((id) => `"${id}"`).join(', ')}`);
    this.name = 'UserNotFoundError';
  }
}

export class ConversationNotFoundError extends Error {
  constructor(readonly conversationId: string) {
    super(`no conversation with id "${conversationId}"`);
    this.name = 'ConversationNotFoundError';
  }
}

export class InvalidCursorError extends Error {
  constructor(readonly cursor: string) {
    super('invalid pagination cursor');
    this.name = 'InvalidCursorError';
  }
}
