import { MAX_FILENAME_BYTES, sanitizeFilename } from '../src/upload/filename';

describe('sanitizeFilename', () => {
  it('keeps an ordinary name as it is', () => {
    expect(sanitizeFilename('holiday photo (1).jpg')).toBe('holiday photo (1).jpg');
    expect(sanitizeFilename('Überweisung März.pdf')).toBe('Überweisung März.pdf');
  });

  it('keeps only the last path segment, whichever slash', () => {
    expect(sanitizeFilename('../../etc/passwd')).toBe('passwd');
    expect(sanitizeFilename('C:\\Users\\me\\report.docx')).toBe('report.docx');
    expect(sanitizeFilename('/tmp/')).toBe('file');
  });

  it('never yields a dot name, a hidden name or an empty one', () => {
    expect(sanitizeFilename('..')).toBe('file');
    expect(sanitizeFilename('.')).toBe('file');
    expect(sanitizeFilename('.bashrc')).toBe('bashrc');
    expect(sanitizeFilename('   ')).toBe('file');
    expect(sanitizeFilename('')).toBe('file');
    expect(sanitizeFilename('name. . .')).toBe('name');
  });

  it('drops control and direction-override characters', () => {
    expect(sanitizeFilename('a\u0000b\r\nc.txt')).toBe('abc.txt');
    // Displayed as "evilexe.jpg" with the override; stored as what it is.
    expect(sanitizeFilename('evil\u202Egpj.exe')).toBe('evilgpj.exe');
    expect(sanitizeFilename('\ufeffbom\u200b.txt')).toBe('bom.txt');
  });

  it('replaces characters Windows refuses', () => {
    expect(sanitizeFilename('what?<now>:"x"|*.txt')).toBe('what__now___x___.txt');
  });

  it('bounds the length in UTF-8 bytes and keeps the extension', () => {
    const long = `${'a'.repeat(400)}.pdf`;
    const safe = sanitizeFilename(long);
    expect(Buffer.byteLength(safe)).toBe(MAX_FILENAME_BYTES);
    expect(safe.endsWith('.pdf')).toBe(true);

    const wide = `${'€'.repeat(200)}.txt`; // three bytes each
    const cut = sanitizeFilename(wide);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(MAX_FILENAME_BYTES);
    expect(cut).toMatch(/^€+\.txt$/);

    const emoji = `${'😀'.repeat(100)}`; // surrogate pairs, four bytes each
    const emojiCut = sanitizeFilename(emoji);
    expect(Buffer.byteLength(emojiCut)).toBeLessThanOrEqual(MAX_FILENAME_BYTES);
    expect([...emojiCut].every((c) => c === '😀')).toBe(true);
  });

  it('does not treat a long tail after the last dot as an extension', () => {
    const name = `report.${'x'.repeat(300)}`;
    const safe = sanitizeFilename(name);
    expect(Buffer.byteLength(safe)).toBe(MAX_FILENAME_BYTES);
    expect(safe.startsWith('report.')).toBe(true);
  });
});
