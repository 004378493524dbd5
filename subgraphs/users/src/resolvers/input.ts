import { badUserInput, isWellFormedText } from '@chat4all/common';

/**
 * Input rules for the users API. Lengths count Unicode code points (what a person sees as characters, and what
 * the database's varchar limits count), not UTF-16 units.
 */
export const USERNAME_MIN = 3;
export const USERNAME_MAX = 32;
export const PASSWORD_MIN = 8;
// Bounds the hashing work one request can ask for; generous for passphrases.
export const PASSWORD_MAX = 256;
export const DISPLAY_NAME_MAX = 64;
export const TITLE_MAX = 200;
/** Most member ids one createConversation accepts (the caller is added on top). */
export const CREATE_MEMBERS_MAX = 100;
/** Default of CONVERSATION_MAX_MEMBERS: members a conversation may have in all (its member list is read whole). */
export const CONVERSATION_MAX_MEMBERS_DEFAULT = 1000;
export const DEFAULT_PAGE_SIZE = 20;

const USERNAME = /^[a-zA-Z0-9_.-]+$/;
// Control characters (C0, DEL, C1) have no place in names a person reads.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export const codePoints = (text: string): number => [...text].length;

/** 1 to `max` characters of well-formed text without control characters. */
function isPlainText(text: string, max: number): boolean {
  return text.length > 0 && codePoints(text) <= max && !CONTROL.test(text) && isWellFormedText(text);
}

/** Whether any account could have this username (every one was registered through `checkUsername`). */
export function isUsername(username: string): boolean {
  return username.length >= USERNAME_MIN && username.length <= USERNAME_MAX && USERNAME.test(username);
}

export function checkUsername(username: string): string {
  if (!isUsername(username)) {
    throw badUserInput(
      `username must be ${USERNAME_MIN} to ${USERNAME_MAX} characters of letters, digits, "_", "." or "-"`,
      'username',
    );
  }
  return username;
}

export function checkPassword(password: string): string {
  const length = codePoints(password);
  if (length < PASSWORD_MIN || length > PASSWORD_MAX || !isWellFormedText(password)) {
    throw badUserInput(`password must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters`, 'password');
  }
  return password;
}

/** Trimmed; defaults to the username when absent. */
export function checkDisplayName(displayName: string | null | undefined, username: string): string {
  if (displayName == null) return username;
  const trimmed = displayName.trim();
  if (!isPlainText(trimmed, DISPLAY_NAME_MAX)) {
    throw badUserInput(`displayName must be 1 to ${DISPLAY_NAME_MAX} characters without control characters`, 'displayName');
  }
  return trimmed;
}

/** Trimmed; absent means untitled. A blank title is refused rather than silently dropped. */
export function checkTitle(title: string | null | undefined): string | null {
  if (title == null) return null;
  const trimmed = title.trim();
  if (!isPlainText(trimmed, TITLE_MAX)) {
    throw badUserInput(`title must be 1 to ${TITLE_MAX} characters without control characters (or absent)`, 'title');
  }
  return trimmed;
}

export function checkPageSize(first: number | null | undefined, max: number): number {
  const size = first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > max) throw badUserInput(`first must be from 1 to ${max}`, 'first');
  return size;
}
