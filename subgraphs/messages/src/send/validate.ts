import { badUserInput, canonicalUuid, isWellFormedText } from '@chat4all/common';

/** Limits a send must respect (from config). */
export interface SendLimits {
  /** Most characters (Unicode code points) in a message's text. */
  maxContentLength: number;
}

export interface SendInput {
  conversationId: string;
  content?: string | null;
  fileId?: string | null;
  clientMessageId?: string | null;
}

/** A send that passed validation: absent optional values are undefined, never null or empty. */
export interface ValidSend {
  conversationId: string;
  content?: string;
  fileId?: string;
  clientMessageId?: string;
}

// File ids belong to the files subgraph; only their outline is checked here (the event contract allows 200 chars).
const FILE_ID = /^[A-Za-z0-9_-]{1,200}$/;
// The client picks it (usually a UUID); printable ASCII without spaces keeps it safe to log and to key a table by.
const CLIENT_MESSAGE_ID = /^[\x21-\x7e]{1,200}$/;

// C0 controls and DEL, except tab, line feed and carriage return: nothing a person types, and a NUL ends a C string
// in whatever a platform runs.
// eslint-disable-next-line no-control-regex
const CONTENT_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** Checks a send's arguments, throwing BAD_USER_INPUT naming the offending field. */
export function validateSend(input: SendInput, limits: SendLimits): ValidSend {
  const conversationId = canonicalUuid(input.conversationId);
  if (conversationId === null) throw badUserInput('conversationId is not a conversation id', 'conversationId');
  const send: ValidSend = { conversationId };

  const content = input.content ?? undefined;
  const fileId = input.fileId ?? undefined;
  if (content === undefined && fileId === undefined) throw badUserInput('a message needs content, a fileId, or both', 'content');
  if (content !== undefined) {
    if (content.trim() === '') throw badUserInput('content must not be empty', 'content');
    if (CONTENT_CONTROL.test(content) || !isWellFormedText(content)) {
      throw badUserInput('content must be text: no control characters other than tab and line breaks, no lone UTF-16 surrogate', 'content');
    }
    // Code points, not UTF-16 units: an emoji counts as one character, as a person would count it.
    let length = 0;
    for (const _ of content) if (++length > limits.maxContentLength) break;
    if (length > limits.maxContentLength) {
      throw badUserInput(`content is longer than ${limits.maxContentLength} characters`, 'content');
    }
    send.content = content;
  }
  if (fileId !== undefined) {
    if (!FILE_ID.test(fileId)) throw badUserInput('fileId is not a file id', 'fileId');
    send.fileId = fileId;
  }

  const clientMessageId = input.clientMessageId ?? undefined;
  if (clientMessageId !== undefined) {
    if (!CLIENT_MESSAGE_ID.test(clientMessageId)) {
      throw badUserInput('clientMessageId must be 1 to 200 printable characters without spaces', 'clientMessageId');
    }
    send.clientMessageId = clientMessageId;
  }
  return send;
}
