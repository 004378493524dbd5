/** Longest stored filename, in UTF-8 bytes: what most filesystems accept, so a download can keep the name. */
export const MAX_FILENAME_BYTES = 255;
const FALLBACK = 'file';
// An extension longer than this is not kept whole when a name must be shortened.
const MAX_EXTENSION_CHARS = 16;

/**
 * The client's filename made safe to store and show: the last path segment only (either slash), no control or
 * bidirectional-override characters (which make "evil\u202Egpj.exe" display as "evilexe.jpg"), none of the characters
 * Windows refuses, no leading dots or surrounding spaces, at most MAX_FILENAME_BYTES with the extension kept.
 */
export function sanitizeFilename(raw: string, maxBytes = MAX_FILENAME_BYTES): string {
  const base = raw.normalize('NFC').split(/[/\\]/).pop() ?? '';
  const cleaned = base
    .split('')
    .filter((char) => !isInvisible(char.charCodeAt(0)))
    .join('')
    .replace(/[<>:"|?*]/g, '_')
    .trim()
    .replace(/^\.+/, '')
    // Windows drops trailing dots and spaces, which would change the name on download.
    .replace(/[. ]+$/, '')
    .trim();
  if (cleaned === '') return FALLBACK;
  return truncateKeepingExtension(cleaned, maxBytes);
}

/** C0/C1 controls, zero-width and direction marks, bidi embeddings/overrides/isolates, word joiners and the BOM. */
function isInvisible(code: number): boolean {
  return (
    code <= 0x1f ||
    (code >= 0x7f && code <= 0x9f) ||
    (code >= 0x200b && code <= 0x200f) ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2060 && code <= 0x2069) ||
    code === 0xfeff
  );
}

function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Shortens by whole code points (never splitting a surrogate pair). */
function truncateToBytes(text: string, maxBytes: number): string {
  let out = '';
  let bytes = 0;
  for (const char of text) {
    const size = utf8Length(char);
    if (bytes + size > maxBytes) break;
    out += char;
    bytes += size;
  }
  return out;
}

function truncateKeepingExtension(name: string, maxBytes: number): string {
  if (utf8Length(name) <= maxBytes) return name;
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 && name.length - dot <= MAX_EXTENSION_CHARS + 1 ? name.slice(dot) : '';
  const stem = truncateToBytes(name.slice(0, name.length - extension.length), maxBytes - utf8Length(extension)).trimEnd();
  return stem === '' ? truncateToBytes(name, maxBytes) : stem + extension;
}
