import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { validateSend, type SendInput } from '../src/send/validate';

const limits = { maxContentLength: 10 };
const conversationId = randomUUID();

function rejection(input: SendInput): { code: unknown; field: unknown; message: string } {
  try {
    validateSend(input, limits);
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    return { code: error.extensions.code, field: error.extensions.field, message: error.message };
  }
  throw new Error('expected a rejection');
}

describe('validateSend', () => {
  it('accepts text, a file, or both, dropping nulls', () => {
    expect(validateSend({ conversationId, content: 'hi', fileId: null, clientMessageId: null }, limits)).toEqual({ conversationId, content: 'hi' });
    expect(validateSend({ conversationId, fileId: 'f-1' }, limits)).toEqual({ conversationId, fileId: 'f-1' });
    expect(validateSend({ conversationId, content: 'hi', fileId: 'f_2', clientMessageId: 'c-1' }, limits)).toEqual({
      conversationId,
      content: 'hi',
      fileId: 'f_2',
      clientMessageId: 'c-1',
    });
  });

  it('normalises the conversation id to lower case (the Kafka key and cache key must be one spelling)', () => {
    expect(validateSend({ conversationId: conversationId.toUpperCase(), content: 'x' }, limits).conversationId).toBe(conversationId);
  });

  it('needs content or a file', () => {
    expect(rejection({ conversationId })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'content' });
    expect(rejection({ conversationId, content: null, fileId: null })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'content' });
  });

  it('refuses empty or blank content', () => {
    expect(rejection({ conversationId, content: '' })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'content', message: 'content must not be empty' });
    expect(rejection({ conversationId, content: ' \n\t' })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'content' });
  });

  it('refuses control characters other than tab and line breaks, and lone UTF-16 surrogates', () => {
    expect(validateSend({ conversationId, content: 'a\tb\r\nc' }, limits).content).toBe('a\tb\r\nc');
    for (const content of ['a\u0000b', '\u0007', 'x\u007f', 'a\ud800b', '\udc00', 'end\ud83d']) {
      expect(rejection({ conversationId, content })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'content' });
    }
    expect(validateSend({ conversationId, content: '😀' }, limits).content).toBe('😀'); // a surrogate pair is one character
  });

  it('counts the limit in characters (code points), not UTF-16 units', () => {
    expect(validateSend({ conversationId, content: '😀'.repeat(10) }, limits).content).toBe('😀'.repeat(10));
    expect(validateSend({ conversationId, content: 'a'.repeat(10) }, limits).content).toHaveLength(10);
    expect(rejection({ conversationId, content: 'a'.repeat(11) })).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'content',
      message: 'content is longer than 10 characters',
    });
    expect(rejection({ conversationId, content: '😀'.repeat(11) })).toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  it('refuses malformed ids, naming the field', () => {
    expect(rejection({ conversationId: 'not-a-uuid', content: 'x' })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'conversationId' });
    expect(rejection({ conversationId: '', content: 'x' })).toMatchObject({ field: 'conversationId' });
    expect(rejection({ conversationId, fileId: 'has space' })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'fileId' });
    expect(rejection({ conversationId, fileId: 'x'.repeat(201) })).toMatchObject({ field: 'fileId' });
    expect(rejection({ conversationId, content: 'x', clientMessageId: '' })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'clientMessageId' });
    expect(rejection({ conversationId, content: 'x', clientMessageId: 'a b' })).toMatchObject({ field: 'clientMessageId' });
    expect(rejection({ conversationId, content: 'x', clientMessageId: 'c'.repeat(201) })).toMatchObject({ field: 'clientMessageId' });
  });
});
