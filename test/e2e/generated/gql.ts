/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "mutation AddConversationMember($conversationId: ID!, $userId: ID!) {\n  addConversationMember(conversationId: $conversationId, userId: $userId) {\n    id\n    members {\n      id\n      displayName\n    }\n  }\n}": typeof types.AddConversationMemberDocument,
    "query Conversations($first: Int, $after: String) {\n  conversations(first: $first, after: $after) {\n    edges {\n      cursor\n      node {\n        id\n        title\n        lastActivityAt\n        members {\n          id\n          displayName\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": typeof types.ConversationsDocument,
    "mutation CreateConversation($title: String, $memberIds: [ID!]!) {\n  createConversation(title: $title, memberIds: $memberIds) {\n    id\n    title\n    members {\n      id\n      displayName\n    }\n    createdAt\n  }\n}": typeof types.CreateConversationDocument,
    "query History($conversationId: ID!, $first: Int, $after: String) {\n  conversation(id: $conversationId) {\n    id\n    title\n    members {\n      id\n      displayName\n    }\n    messages(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          content\n          status\n          channel\n          createdAt\n          sender {\n            id\n            displayName\n          }\n          attachment {\n            id\n            filename\n            size\n            sha256\n            url\n          }\n          statusHistory {\n            status\n            at\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}": typeof types.HistoryDocument,
    "mutation Login($username: String!, $password: String!) {\n  login(username: $username, password: $password) {\n    token\n    user {\n      id\n      username\n    }\n  }\n}": typeof types.LoginDocument,
    "query Me {\n  me {\n    id\n    username\n    displayName\n    createdAt\n  }\n}": typeof types.MeDocument,
    "query Message($id: ID!) {\n  message(id: $id) {\n    id\n    content\n    status\n    createdAt\n    conversation {\n      id\n    }\n    sender {\n      id\n      displayName\n    }\n    attachment {\n      id\n      filename\n      url\n    }\n  }\n}": typeof types.MessageDocument,
    "subscription MessageAdded($conversationId: ID!) {\n  messageAdded(conversationId: $conversationId) {\n    id\n    content\n    status\n    sender {\n      id\n      displayName\n    }\n    conversation {\n      id\n      title\n    }\n  }\n}": typeof types.MessageAddedDocument,
    "query MessagePage($conversationId: ID!, $first: Int) {\n  conversation(id: $conversationId) {\n    title\n    messages(first: $first) {\n      edges {\n        node {\n          id\n          sender {\n            id\n            displayName\n          }\n          attachment {\n            id\n            sha256\n            url\n          }\n        }\n      }\n    }\n  }\n}": typeof types.MessagePageDocument,
    "subscription MessageStatusChanged($conversationId: ID!, $after: String) {\n  messageStatusChanged(conversationId: $conversationId, after: $after) {\n    previousStatus\n    cursor\n    message {\n      id\n      status\n      content\n      sender {\n        id\n        displayName\n      }\n      conversation {\n        id\n        title\n      }\n    }\n  }\n}": typeof types.MessageStatusChangedDocument,
    "subscription MyEvents($after: String) {\n  myEvents(after: $after) {\n    previousStatus\n    cursor\n    message {\n      id\n      status\n      sender {\n        id\n        displayName\n      }\n      conversation {\n        id\n      }\n    }\n  }\n}": typeof types.MyEventsDocument,
    "mutation Register($username: String!, $password: String!, $displayName: String) {\n  register(username: $username, password: $password, displayName: $displayName) {\n    token\n    user {\n      id\n      username\n      displayName\n    }\n  }\n}": typeof types.RegisterDocument,
    "mutation RemoveConversationMember($conversationId: ID!, $userId: ID!) {\n  removeConversationMember(conversationId: $conversationId, userId: $userId) {\n    id\n    members {\n      id\n    }\n  }\n}": typeof types.RemoveConversationMemberDocument,
    "mutation SendMessage($conversationId: ID!, $content: String, $fileId: ID, $clientMessageId: String) {\n  sendMessage(\n    conversationId: $conversationId\n    content: $content\n    fileId: $fileId\n    clientMessageId: $clientMessageId\n  ) {\n    id\n    content\n    status\n    createdAt\n    sender {\n      id\n      displayName\n    }\n    attachment {\n      id\n      filename\n    }\n  }\n}": typeof types.SendMessageDocument,
    "mutation UploadFile($file: Upload!) {\n  uploadFile(file: $file) {\n    id\n    filename\n    contentType\n    size\n    sha256\n    url\n  }\n}": typeof types.UploadFileDocument,
};
const documents: Documents = {
    "mutation AddConversationMember($conversationId: ID!, $userId: ID!) {\n  addConversationMember(conversationId: $conversationId, userId: $userId) {\n    id\n    members {\n      id\n      displayName\n    }\n  }\n}": types.AddConversationMemberDocument,
    "query Conversations($first: Int, $after: String) {\n  conversations(first: $first, after: $after) {\n    edges {\n      cursor\n      node {\n        id\n        title\n        lastActivityAt\n        members {\n          id\n          displayName\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": types.ConversationsDocument,
    "mutation CreateConversation($title: String, $memberIds: [ID!]!) {\n  createConversation(title: $title, memberIds: $memberIds) {\n    id\n    title\n    members {\n      id\n      displayName\n    }\n    createdAt\n  }\n}": types.CreateConversationDocument,
    "query History($conversationId: ID!, $first: Int, $after: String) {\n  conversation(id: $conversationId) {\n    id\n    title\n    members {\n      id\n      displayName\n    }\n    messages(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          content\n          status\n          channel\n          createdAt\n          sender {\n            id\n            displayName\n          }\n          attachment {\n            id\n            filename\n            size\n            sha256\n            url\n          }\n          statusHistory {\n            status\n            at\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}": types.HistoryDocument,
    "mutation Login($username: String!, $password: String!) {\n  login(username: $username, password: $password) {\n    token\n    user {\n      id\n      username\n    }\n  }\n}": types.LoginDocument,
    "query Me {\n  me {\n    id\n    username\n    displayName\n    createdAt\n  }\n}": types.MeDocument,
    "query Message($id: ID!) {\n  message(id: $id) {\n    id\n    content\n    status\n    createdAt\n    conversation {\n      id\n    }\n    sender {\n      id\n      displayName\n    }\n    attachment {\n      id\n      filename\n      url\n    }\n  }\n}": types.MessageDocument,
    "subscription MessageAdded($conversationId: ID!) {\n  messageAdded(conversationId: $conversationId) {\n    id\n    content\n    status\n    sender {\n      id\n      displayName\n    }\n    conversation {\n      id\n      title\n    }\n  }\n}": types.MessageAddedDocument,
    "query MessagePage($conversationId: ID!, $first: Int) {\n  conversation(id: $conversationId) {\n    title\n    messages(first: $first) {\n      edges {\n        node {\n          id\n          sender {\n            id\n            displayName\n          }\n          attachment {\n            id\n            sha256\n            url\n          }\n        }\n      }\n    }\n  }\n}": types.MessagePageDocument,
    "subscription MessageStatusChanged($conversationId: ID!, $after: String) {\n  messageStatusChanged(conversationId: $conversationId, after: $after) {\n    previousStatus\n    cursor\n    message {\n      id\n      status\n      content\n      sender {\n        id\n        displayName\n      }\n      conversation {\n        id\n        title\n      }\n    }\n  }\n}": types.MessageStatusChangedDocument,
    "subscription MyEvents($after: String) {\n  myEvents(after: $after) {\n    previousStatus\n    cursor\n    message {\n      id\n      status\n      sender {\n        id\n        displayName\n      }\n      conversation {\n        id\n      }\n    }\n  }\n}": types.MyEventsDocument,
    "mutation Register($username: String!, $password: String!, $displayName: String) {\n  register(username: $username, password: $password, displayName: $displayName) {\n    token\n    user {\n      id\n      username\n      displayName\n    }\n  }\n}": types.RegisterDocument,
    "mutation RemoveConversationMember($conversationId: ID!, $userId: ID!) {\n  removeConversationMember(conversationId: $conversationId, userId: $userId) {\n    id\n    members {\n      id\n    }\n  }\n}": types.RemoveConversationMemberDocument,
    "mutation SendMessage($conversationId: ID!, $content: String, $fileId: ID, $clientMessageId: String) {\n  sendMessage(\n    conversationId: $conversationId\n    content: $content\n    fileId: $fileId\n    clientMessageId: $clientMessageId\n  ) {\n    id\n    content\n    status\n    createdAt\n    sender {\n      id\n      displayName\n    }\n    attachment {\n      id\n      filename\n    }\n  }\n}": types.SendMessageDocument,
    "mutation UploadFile($file: Upload!) {\n  uploadFile(file: $file) {\n    id\n    filename\n    contentType\n    size\n    sha256\n    url\n  }\n}": types.UploadFileDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation AddConversationMember($conversationId: ID!, $userId: ID!) {\n  addConversationMember(conversationId: $conversationId, userId: $userId) {\n    id\n    members {\n      id\n      displayName\n    }\n  }\n}"): (typeof documents)["mutation AddConversationMember($conversationId: ID!, $userId: ID!) {\n  addConversationMember(conversationId: $conversationId, userId: $userId) {\n    id\n    members {\n      id\n      displayName\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Conversations($first: Int, $after: String) {\n  conversations(first: $first, after: $after) {\n    edges {\n      cursor\n      node {\n        id\n        title\n        lastActivityAt\n        members {\n          id\n          displayName\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"): (typeof documents)["query Conversations($first: Int, $after: String) {\n  conversations(first: $first, after: $after) {\n    edges {\n      cursor\n      node {\n        id\n        title\n        lastActivityAt\n        members {\n          id\n          displayName\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CreateConversation($title: String, $memberIds: [ID!]!) {\n  createConversation(title: $title, memberIds: $memberIds) {\n    id\n    title\n    members {\n      id\n      displayName\n    }\n    createdAt\n  }\n}"): (typeof documents)["mutation CreateConversation($title: String, $memberIds: [ID!]!) {\n  createConversation(title: $title, memberIds: $memberIds) {\n    id\n    title\n    members {\n      id\n      displayName\n    }\n    createdAt\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query History($conversationId: ID!, $first: Int, $after: String) {\n  conversation(id: $conversationId) {\n    id\n    title\n    members {\n      id\n      displayName\n    }\n    messages(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          content\n          status\n          channel\n          createdAt\n          sender {\n            id\n            displayName\n          }\n          attachment {\n            id\n            filename\n            size\n            sha256\n            url\n          }\n          statusHistory {\n            status\n            at\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}"): (typeof documents)["query History($conversationId: ID!, $first: Int, $after: String) {\n  conversation(id: $conversationId) {\n    id\n    title\n    members {\n      id\n      displayName\n    }\n    messages(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          content\n          status\n          channel\n          createdAt\n          sender {\n            id\n            displayName\n          }\n          attachment {\n            id\n            filename\n            size\n            sha256\n            url\n          }\n          statusHistory {\n            status\n            at\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation Login($username: String!, $password: String!) {\n  login(username: $username, password: $password) {\n    token\n    user {\n      id\n      username\n    }\n  }\n}"): (typeof documents)["mutation Login($username: String!, $password: String!) {\n  login(username: $username, password: $password) {\n    token\n    user {\n      id\n      username\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Me {\n  me {\n    id\n    username\n    displayName\n    createdAt\n  }\n}"): (typeof documents)["query Me {\n  me {\n    id\n    username\n    displayName\n    createdAt\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Message($id: ID!) {\n  message(id: $id) {\n    id\n    content\n    status\n    createdAt\n    conversation {\n      id\n    }\n    sender {\n      id\n      displayName\n    }\n    attachment {\n      id\n      filename\n      url\n    }\n  }\n}"): (typeof documents)["query Message($id: ID!) {\n  message(id: $id) {\n    id\n    content\n    status\n    createdAt\n    conversation {\n      id\n    }\n    sender {\n      id\n      displayName\n    }\n    attachment {\n      id\n      filename\n      url\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription MessageAdded($conversationId: ID!) {\n  messageAdded(conversationId: $conversationId) {\n    id\n    content\n    status\n    sender {\n      id\n      displayName\n    }\n    conversation {\n      id\n      title\n    }\n  }\n}"): (typeof documents)["subscription MessageAdded($conversationId: ID!) {\n  messageAdded(conversationId: $conversationId) {\n    id\n    content\n    status\n    sender {\n      id\n      displayName\n    }\n    conversation {\n      id\n      title\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query MessagePage($conversationId: ID!, $first: Int) {\n  conversation(id: $conversationId) {\n    title\n    messages(first: $first) {\n      edges {\n        node {\n          id\n          sender {\n            id\n            displayName\n          }\n          attachment {\n            id\n            sha256\n            url\n          }\n        }\n      }\n    }\n  }\n}"): (typeof documents)["query MessagePage($conversationId: ID!, $first: Int) {\n  conversation(id: $conversationId) {\n    title\n    messages(first: $first) {\n      edges {\n        node {\n          id\n          sender {\n            id\n            displayName\n          }\n          attachment {\n            id\n            sha256\n            url\n          }\n        }\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription MessageStatusChanged($conversationId: ID!, $after: String) {\n  messageStatusChanged(conversationId: $conversationId, after: $after) {\n    previousStatus\n    cursor\n    message {\n      id\n      status\n      content\n      sender {\n        id\n        displayName\n      }\n      conversation {\n        id\n        title\n      }\n    }\n  }\n}"): (typeof documents)["subscription MessageStatusChanged($conversationId: ID!, $after: String) {\n  messageStatusChanged(conversationId: $conversationId, after: $after) {\n    previousStatus\n    cursor\n    message {\n      id\n      status\n      content\n      sender {\n        id\n        displayName\n      }\n      conversation {\n        id\n        title\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription MyEvents($after: String) {\n  myEvents(after: $after) {\n    previousStatus\n    cursor\n    message {\n      id\n      status\n      sender {\n        id\n        displayName\n      }\n      conversation {\n        id\n      }\n    }\n  }\n}"): (typeof documents)["subscription MyEvents($after: String) {\n  myEvents(after: $after) {\n    previousStatus\n    cursor\n    message {\n      id\n      status\n      sender {\n        id\n        displayName\n      }\n      conversation {\n        id\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation Register($username: String!, $password: String!, $displayName: String) {\n  register(username: $username, password: $password, displayName: $displayName) {\n    token\n    user {\n      id\n      username\n      displayName\n    }\n  }\n}"): (typeof documents)["mutation Register($username: String!, $password: String!, $displayName: String) {\n  register(username: $username, password: $password, displayName: $displayName) {\n    token\n    user {\n      id\n      username\n      displayName\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation RemoveConversationMember($conversationId: ID!, $userId: ID!) {\n  removeConversationMember(conversationId: $conversationId, userId: $userId) {\n    id\n    members {\n      id\n    }\n  }\n}"): (typeof documents)["mutation RemoveConversationMember($conversationId: ID!, $userId: ID!) {\n  removeConversationMember(conversationId: $conversationId, userId: $userId) {\n    id\n    members {\n      id\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation SendMessage($conversationId: ID!, $content: String, $fileId: ID, $clientMessageId: String) {\n  sendMessage(\n    conversationId: $conversationId\n    content: $content\n    fileId: $fileId\n    clientMessageId: $clientMessageId\n  ) {\n    id\n    content\n    status\n    createdAt\n    sender {\n      id\n      displayName\n    }\n    attachment {\n      id\n      filename\n    }\n  }\n}"): (typeof documents)["mutation SendMessage($conversationId: ID!, $content: String, $fileId: ID, $clientMessageId: String) {\n  sendMessage(\n    conversationId: $conversationId\n    content: $content\n    fileId: $fileId\n    clientMessageId: $clientMessageId\n  ) {\n    id\n    content\n    status\n    createdAt\n    sender {\n      id\n      displayName\n    }\n    attachment {\n      id\n      filename\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation UploadFile($file: Upload!) {\n  uploadFile(file: $file) {\n    id\n    filename\n    contentType\n    size\n    sha256\n    url\n  }\n}"): (typeof documents)["mutation UploadFile($file: Upload!) {\n  uploadFile(file: $file) {\n    id\n    filename\n    contentType\n    size\n    sha256\n    url\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;