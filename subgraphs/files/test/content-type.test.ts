import {
  DEFAULT_ALLOWED_CONTENT_TYPES,
  contentMismatch,
  isAllowedContentType,
  isContentTypePattern,
  normalizeContentType,
} from '../src/upload/content-type';

const bytes = (...parts: (number | string)[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from([p]))));

const PNG = bytes(0x89, 'PNG\r\n', 0x1a, '\n', 0, 0, 0, 13, 'IHDR');
const JPEG = bytes(0xff, 0xd8, 0xff, 0xe0, 0, 16, 'JFIF', 0);
const GIF = bytes('GIF89a', 1, 0, 1, 0);
const WEBP = bytes('RIFF', 0x24, 0, 0, 0, 'WEBPVP8 ');
const WAV = bytes('RIFF', 0x24, 0, 0, 0, 'WAVEfmt ');
const PDF = bytes('%PDF-1.7\n%', 0xe2, 0xe3);
const ZIP = bytes('PK', 3, 4, 20, 0, 6, 0);
const OLE2 = bytes(0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0);
const MP4 = bytes(0, 0, 0, 0x20, 'ftypisom', 0, 0, 2, 0);
const OLD_MOV = bytes(0, 0, 0, 0x20, 'moov', 0, 0, 0, 0);
const WEBM = bytes(0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81);
const OGG = bytes('OggS', 0, 2, 0, 0);
const MP3_ID3 = bytes('ID3', 4, 0, 0, 0, 0, 0, 0);
const MP3_FRAME = bytes(0xff, 0xfb, 0x90, 0x64);
const ELF = bytes(0x7f, 'ELF', 2, 1, 1, 0);
const TEXT = Buffer.from('hello, world\nsecond line');

describe('declared content types', () => {
  it('are reduced to their lower-case essence, with aliases made canonical', () => {
    expect(normalizeContentType('Text/Plain; charset=UTF-8')).toBe('text/plain');
    expect(normalizeContentType('image/jpg')).toBe('image/jpeg');
    expect(normalizeContentType('audio/x-wav')).toBe('audio/wav');
    expect(normalizeContentType('application/vnd.openxmlformats-officedocument.wordprocessingml.document')).toBe(
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    );
  });

  it('must be a type/subtype pair without wildcards', () => {
    for (const bad of ['', 'png', 'image/', '/png', 'image/*', '*/*', 'image/png/x', 'image png', 'image/p\nng']) {
      expect(normalizeContentType(bad)).toBeNull();
    }
  });

  it('are accepted by exact entries or a family wildcard', () => {
    expect(isAllowedContentType('image/png', ['image/png'])).toBe(true);
    expect(isAllowedContentType('image/svg+xml', ['image/png'])).toBe(false);
    expect(isAllowedContentType('image/svg+xml', ['image/*'])).toBe(true);
    expect(isAllowedContentType('video/mp4', ['image/*'])).toBe(false);
    expect(isAllowedContentType('image/png', ['IMAGE/PNG'])).toBe(true);
  });

  it('default to a list without anything a browser would run', () => {
    for (const type of ['text/html', 'image/svg+xml', 'application/javascript', 'text/javascript', 'application/xhtml+xml', 'application/x-msdownload']) {
      expect(isAllowedContentType(type, DEFAULT_ALLOWED_CONTENT_TYPES)).toBe(false);
    }
    for (const type of ['image/png', 'image/jpeg', 'video/mp4', 'audio/ogg', 'application/pdf', 'text/plain', 'application/msword', 'application/octet-stream']) {
      expect(isAllowedContentType(type, DEFAULT_ALLOWED_CONTENT_TYPES)).toBe(true);
    }
    expect(DEFAULT_ALLOWED_CONTENT_TYPES.every(isContentTypePattern)).toBe(true);
  });

  it('allow-list entries are validated as patterns', () => {
    expect(isContentTypePattern('image/*')).toBe(true);
    expect(isContentTypePattern('application/vnd.ms-excel')).toBe(true);
    expect(isContentTypePattern('*/*')).toBe(false);
    expect(isContentTypePattern('image')).toBe(false);
    expect(isContentTypePattern('image/png,')).toBe(false);
  });
});

describe('content signatures', () => {
  it.each([
    ['image/png', PNG],
    ['image/jpeg', JPEG],
    ['image/gif', GIF],
    ['image/webp', WEBP],
    ['audio/wav', WAV],
    ['application/pdf', PDF],
    ['application/zip', ZIP],
    ['application/vnd.openxmlformats-officedocument.wordprocessingml.document', ZIP],
    ['application/msword', OLE2],
    ['video/mp4', MP4],
    ['audio/mp4', MP4],
    ['video/quicktime', MP4],
    ['video/quicktime', OLD_MOV],
    ['video/webm', WEBM],
    ['audio/ogg', OGG],
    ['audio/mpeg', MP3_ID3],
    ['audio/mpeg', MP3_FRAME],
    ['text/plain', TEXT],
    ['text/csv', Buffer.from('a,b\n1,2\n')],
    ['text/plain', Buffer.alloc(0)],
    ['application/octet-stream', PNG],
    ['application/octet-stream', ELF],
  ])('%s agrees with matching bytes', (type, head) => {
    expect(contentMismatch(type, head)).toBeNull();
  });

  it.each([
    ['application/pdf', PNG, 'not application/pdf'],
    ['image/png', JPEG, 'not image/png'],
    ['image/jpeg', PDF, 'not image/jpeg'],
    ['image/webp', WAV, 'not image/webp'],
    ['application/msword', ZIP, 'not application/msword'],
    ['video/mp4', WEBM, 'not video/mp4'],
    ['image/png', Buffer.alloc(0), 'not image/png'],
    ['image/png', PNG.subarray(0, 4), 'not image/png'],
    ['text/plain', PNG, 'PNG, not text/plain'],
    ['text/plain', ELF, 'ELF executable, not text/plain'],
    ['text/csv', ZIP, 'ZIP, not text/csv'],
    ['audio/aac', PDF, 'not audio/aac'],
  ])('%s is refused for other bytes', (type, head, reason) => {
    expect(contentMismatch(type, head)).toContain(reason);
  });

  it('does not take a weak signature as proof against an unsigned type', () => {
    // "BM" opens bitmaps, and also plenty of text.
    expect(contentMismatch('text/plain', Buffer.from('BMW owners club minutes'))).toBeNull();
  });
});
