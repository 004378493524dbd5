import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header Meta's platforms (WhatsApp, Instagram, Messenger) sign webhooks with. */
export const SIGNATURE_HEADER = 'x-hub-signature-256';
const PREFIX = 'sha256=';

/** `sha256=<hex>` of HMAC-SHA256 over the exact raw body bytes. */
export function signBody(secret: string, rawBody: Buffer | string): string {
  return PREFIX + createHmac('sha256', secret).update(rawBody).digest('hex');
}

export type SignatureCheck = 'valid' | 'unsigned' | 'forged';

/**
 * Checks `sha256=<hex>` against HMAC-SHA256 of the raw body (never a re-serialised parse of it: any byte changed must
 * fail). The comparison is timing-safe; a header of the wrong shape or length is forged, not an exception.
 */
export function checkSignature(secret: string, rawBody: Buffer, header: string | string[] | undefined): SignatureCheck {
  if (header === undefined || header === '') return 'unsigned';
  if (Array.isArray(header)) return 'forged'; // a second signature header is never legitimate
  if (!header.startsWith(PREFIX)) return 'forged';
  const hex = header.slice(PREFIX.length);
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) return 'forged';
  const given = Buffer.from(hex, 'hex');
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return timingSafeEqual(given, expected) ? 'valid' : 'forged';
}
