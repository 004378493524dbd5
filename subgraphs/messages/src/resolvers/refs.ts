/**
 * Key stubs for entities other subgraphs own (User, File) or share (Conversation): this subgraph returns only the key,
 * and the gateway fetches the other fields from the owner, batching the stubs of a whole response into one call.
 */
export interface ConversationRef {
  id: string;
  /** Known when the membership check that produced this reference read it (`Query.conversation`). */
  title?: string | null;
}

export interface UserRef {
  __typename: 'User';
  id: string;
}

export interface FileRef {
  __typename: 'File';
  id: string;
}

export const userRef = (id: string): UserRef => ({ __typename: 'User', id });
export const fileRef = (id: string): FileRef => ({ __typename: 'File', id });
export const conversationRef = (id: string): ConversationRef => ({ id });
