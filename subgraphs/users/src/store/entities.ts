import { EntitySchema } from '@mikro-orm/core';
import type { Collection, PrimaryKeyProp } from '@mikro-orm/core';

// Schemas instead of decorators: no reflect-metadata and no decorator transform in tsx or swc.
// Column types stay portable across PostgreSQL, CockroachDB and PGlite: uuid, varchar, text, timestamptz.

export interface UserRow {
  id: string;
  username: string;
  /** Lower-cased (NFKC) username; its unique index makes usernames unique regardless of case. */
  usernameNormalized: string;
  displayName: string;
  passwordHash: string;
  createdAt: Date;
}

export interface ConversationRow {
  id: string;
  title: string | null;
  createdAt: Date;
  lastActivityAt: Date;
  members: Collection<ConversationMemberRow>;
}

export interface ConversationMemberRow {
  [PrimaryKeyProp]?: ['conversation', 'user'];
  conversation: ConversationRow;
  user: UserRow;
  joinedAt: Date;
}

export const UserSchema: EntitySchema<UserRow> = new EntitySchema<UserRow>({
  name: 'User',
  tableName: 'users',
  properties: {
    id: { type: 'uuid', primary: true },
    username: { type: 'string', length: 64 },
    usernameNormalized: { type: 'string', length: 64, unique: 'users_username_normalized_unique' },
    displayName: { type: 'string', length: 128 },
    passwordHash: { type: 'text' },
    createdAt: { type: 'datetime' },
  },
});

export const ConversationSchema: EntitySchema<ConversationRow> = new EntitySchema<ConversationRow>({
  name: 'Conversation',
  tableName: 'conversations',
  properties: {
    id: { type: 'uuid', primary: true },
    title: { type: 'string', length: 200, nullable: true },
    createdAt: { type: 'datetime' },
    lastActivityAt: { type: 'datetime' },
    members: { kind: '1:m', entity: () => ConversationMemberSchema, mappedBy: 'conversation' },
  },
});

export const ConversationMemberSchema: EntitySchema<ConversationMemberRow> = new EntitySchema<ConversationMemberRow>({
  name: 'ConversationMember',
  tableName: 'conversation_members',
  properties: {
    conversation: { kind: 'm:1', entity: () => ConversationSchema, primary: true, deleteRule: 'cascade' },
    // Listing a user's conversations starts from this column.
    user: { kind: 'm:1', entity: () => UserSchema, primary: true, deleteRule: 'cascade', index: 'conversation_members_user_id_index' },
    joinedAt: { type: 'datetime' },
  },
});

export const userStoreEntities = [UserSchema, ConversationSchema, ConversationMemberSchema];
