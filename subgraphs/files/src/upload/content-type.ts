/**
 * Which content types an upload may declare, and whether its first bytes agree. A declared type is what the file
 * is later served as (the presigned URL answers with it), so a mislabelled file would reach other users' browsers
 * and apps as something it is not.
 */

/**
 * Allowed unless UPLOAD_ALLOWED_CONTENT_TYPES says otherwise: media a chat shares, PDF, plain text and the common
 * office formats. No HTML, SVG or scripts, which a browser would run from the download URL. application/octet-stream
 * is in: it is what clients send for a file they cannot name, and browsers download it rather than render it.
 */
export const DEFAULT_ALLOWED_CONTENT_TYPES: readonly string[] = [
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/heic',
  'image/heif',
  'image/avif',
  'image/bmp',
  'video/mp4',
  'video/quicktime',
  'video/webm',
  'video/3gpp',
  'audio/mpeg',
  'audio/mp4',
  'audio/aac',
  'audio/ogg',
  'audio/opus',
  'audio/wav',
  'audio/webm',
  'audio/flac',
  'audio/amr',
  'application/pdf',
  'text/plain',
  'text/csv',
  'application/msword',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.ms-excel',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.ms-powerpoint',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/vnd.oasis.opendocument.text',
  'application/vnd.oasis.opendocument.spreadsheet',
  'application/vnd.oasis.opendocument.presentation',
  'application/zip',
  'application/octet-stream',
];

// RFC 9110 token characters, lower case (types are compared case-insensitively, so they are stored lower-cased),
// without `*`, which only a wildcard in the allow-list may use.
const TOKEN = "[a-z0-9!#$%&'+.^_`|~-]+";
const CONTENT_TYPE = new RegExp(`^${TOKEN}/${TOKEN}$`);
const PATTERN = new RegExp(`^${TOKEN}/(?:\\*|${TOKEN})$`);

/** An allow-list entry: `type/subtype` or `type/*` (case-insensitive). */
export function isContentTypePattern(value: string): boolean {
  return PATTERN.test(value.toLowerCase());
}

// Other names clients use for the same formats; files are stored under the canonical one.
const ALIASES: Record<string, string> = {
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'image/x-png': 'image/png',
  'audio/mp3': 'audio/mpeg',
  'audio/x-mp3': 'audio/mpeg',
  'audio/mpeg3': 'audio/mpeg',
  'audio/x-m4a': 'audio/mp4',
  'audio/m4a': 'audio/mp4',
  'audio/x-wav': 'audio/wav',
  'audio/wave': 'audio/wav',
  'audio/vnd.wave': 'audio/wav',
  'audio/x-flac': 'audio/flac',
  'application/x-zip-compressed': 'application/zip',
};

/** The declared type's essence (no parameters), lower-cased and canonical; null when it is not a content type. */
export function normalizeContentType(declared: string): string | null {
  const essence = declared.split(';')[0]!.trim().toLowerCase();
  if (essence.length > 255 || !CONTENT_TYPE.test(essence)) return null;
  return ALIASES[essence] ?? essence;
}

export function isAllowedContentType(contentType: string, allowed: readonly string[]): boolean {
  const family = `${contentType.split('/')[0]}/*`;
  return allowed.some((entry) => {
    const pattern = entry.toLowerCase();
    return pattern === contentType || pattern === family;
  });
}

/** Bytes of the file's start the signatures look at. */
export const SIGNATURE_BYTES = 16;

type Test = (head: Buffer) => boolean;
const at =
  (offset: number, ...bytes: (number | string)[]): Test =>
  (head) => {
    const expected = Buffer.concat(bytes.map((b) => (typeof b === 'string' ? Buffer.from(b, 'latin1') : Buffer.from([b]))));
    return head.length >= offset + expected.length && head.subarray(offset, offset + expected.length).equals(expected);
  };
const any =
  (...tests: Test[]): Test =>
  (head) =>
    tests.some((test) => test(head));
const all =
  (...tests: Test[]): Test =>
  (head) =>
    tests.every((test) => test(head));

interface Format {
  name: string;
  test: Test;
  /**
   * Strong signatures (four or more fixed bytes) are not found at the start of other kinds of files by chance, so
   * a file showing one is that format whatever it is declared as. Weak ones only confirm a declared type.
   */
  strong: boolean;
  /** Declared types this format is (after normalization). */
  types: readonly string[];
}

const ISO_MEDIA_TYPES = ['video/mp4', 'video/quicktime', 'video/3gpp', 'video/3gpp2', 'audio/mp4', 'audio/aac', 'audio/3gpp', 'image/heic', 'image/heif', 'image/avif'];

const FORMATS: readonly Format[] = [
  { name: 'PNG', strong: true, test: at(0, 0x89, 'PNG\r\n', 0x1a, '\n'), types: ['image/png'] },
  { name: 'JPEG', strong: true, test: at(0, 0xff, 0xd8, 0xff), types: ['image/jpeg'] },
  { name: 'GIF', strong: true, test: any(at(0, 'GIF87a'), at(0, 'GIF89a')), types: ['image/gif'] },
  { name: 'WebP', strong: true, test: all(at(0, 'RIFF'), at(8, 'WEBP')), types: ['image/webp'] },
  { name: 'WAVE', strong: true, test: all(at(0, 'RIFF'), at(8, 'WAVE')), types: ['audio/wav'] },
  { name: 'AVI', strong: true, test: all(at(0, 'RIFF'), at(8, 'AVI ')), types: ['video/x-msvideo', 'video/avi'] },
  { name: 'BMP', strong: false, test: at(0, 'BM'), types: ['image/bmp'] },
  { name: 'TIFF', strong: true, test: any(at(0, 'II*', 0), at(0, 'MM', 0, '*')), types: ['image/tiff'] },
  // ISO base media (MP4, M4A, 3GP, HEIF/AVIF, modern QuickTime) opens with an `ftyp` box.
  { name: 'ISO base media (MP4)', strong: true, test: at(4, 'ftyp'), types: ISO_MEDIA_TYPES },
  // Older QuickTime files open with another atom.
  { name: 'QuickTime', strong: false, test: any(...['moov', 'mdat', 'wide', 'free', 'skip', 'pnot'].map((atom) => at(4, atom))), types: ['video/quicktime'] },
  { name: 'Matroska/WebM', strong: true, test: at(0, 0x1a, 0x45, 0xdf, 0xa3), types: ['video/webm', 'audio/webm', 'video/x-matroska', 'audio/x-matroska'] },
  { name: 'Ogg', strong: true, test: at(0, 'OggS'), types: ['audio/ogg', 'video/ogg', 'application/ogg', 'audio/opus'] },
  { name: 'FLAC', strong: true, test: at(0, 'fLaC'), types: ['audio/flac'] },
  { name: 'AMR', strong: true, test: at(0, '#!AMR'), types: ['audio/amr'] },
  // MP3: an ID3 tag, or straight into an MPEG audio frame (11 sync bits).
  { name: 'MP3', strong: false, test: (h) => at(0, 'ID3')(h) || (h.length >= 2 && h[0] === 0xff && (h[1]! & 0xe0) === 0xe0), types: ['audio/mpeg'] },
  // AAC as a raw ADTS stream (12 sync bits, layer 0).
  { name: 'AAC (ADTS)', strong: false, test: (h) => h.length >= 2 && h[0] === 0xff && (h[1]! & 0xf6) === 0xf0, types: ['audio/aac'] },
  { name: 'PDF', strong: true, test: at(0, '%PDF-'), types: ['application/pdf'] },
  {
    name: 'ZIP',
    strong: true,
    test: any(at(0, 'PK', 3, 4), at(0, 'PK', 5, 6), at(0, 'PK', 7, 8)),
    types: [
      'application/zip',
      'application/epub+zip',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      'application/vnd.openxmlformats-officedocument.presentationml.presentation',
      'application/vnd.oasis.opendocument.text',
      'application/vnd.oasis.opendocument.spreadsheet',
      'application/vnd.oasis.opendocument.presentation',
    ],
  },
  // The compound file container of the pre-2007 Office formats.
  { name: 'OLE2 compound file', strong: true, test: at(0, 0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1), types: ['application/msword', 'application/vnd.ms-excel', 'application/vnd.ms-powerpoint'] },
  { name: 'gzip', strong: true, test: at(0, 0x1f, 0x8b, 0x08), types: ['application/gzip'] },
  { name: '7-Zip', strong: true, test: at(0, '7z', 0xbc, 0xaf, 0x27, 0x1c), types: ['application/x-7z-compressed'] },
  { name: 'RAR', strong: true, test: at(0, 'Rar!', 0x1a, 0x07), types: ['application/vnd.rar', 'application/x-rar-compressed'] },
  // Executables are no declared type's content; named so that a text file that is really a program is caught.
  { name: 'ELF executable', strong: true, test: at(0, 0x7f, 'ELF'), types: [] },
];

/**
 * Why the file's first bytes contradict its declared (normalized) type, or null when they agree. A type with known
 * signatures needs one of them; any other type (text, say) must not start like a known binary format.
 * application/octet-stream claims nothing, so nothing contradicts it.
 */
export function contentMismatch(contentType: string, head: Buffer): string | null {
  const expected = FORMATS.filter((format) => format.types.includes(contentType));
  if (expected.length > 0) {
    return expected.some((format) => format.test(head)) ? null : `the file's content is not ${contentType}`;
  }
  if (contentType === 'application/octet-stream') return null;
  const actual = FORMATS.find((format) => format.strong && format.test(head));
  return actual ? `the file's content is ${actual.name}, not ${contentType}` : null;
}
