import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** scrypt cost parameters; stored inside every hash, so raising them later keeps old hashes verifiable. */
export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  N: number;
  r: number;
  p: number;
  saltBytes: number;
  keyBytes: number;
}

// N=2^14, r=8 uses 16 MiB per hash: OWASP's scrypt minimum, about 50 ms on one core.
export const defaultScryptParams: ScryptParams = { N: 16384, r: 8, p: 1, saltBytes: 16, keyBytes: 32 };

// Bounds for parameters read back from storage, so a corrupted row cannot make one login allocate gigabytes.
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;

function derive(password: string, salt: Buffer, keyBytes: number, params: Pick<ScryptParams, 'N' | 'r' | 'p'>): Promise<Buffer> {
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    // NFC so the same password typed on different keyboards/OSes hashes the same.
    scrypt(password.normalize('NFC'), salt, keyBytes, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

const isPowerOfTwo = (n: number) => Number.isInteger(n) && n > 1 && (n & (n - 1)) === 0;

/** `scrypt$N$r$p$salt$hash` with base64url salt and hash: self-describing, so verification needs no configuration. */
export async function hashPassword(password: string, params: Partial<ScryptParams> = {}): Promise<string> {
  const p = { ...defaultScryptParams, ...params };
  if (!isPowerOfTwo(p.N) || p.N > MAX_N || p.r < 1 || p.r > MAX_R || p.p < 1 || p.p > MAX_P) {
    throw new RangeError(`unsupported scrypt parameters N=${p.N} r=${p.r} p=${p.p}`);
  }
  const salt = randomBytes(p.saltBytes);
  const key = await derive(password, salt, p.keyBytes, p);
  return ['scrypt', p.N, p.r, p.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

function parse(stored: string): ParsedHash | null {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [N, r, p] = parts.slice(1, 4).map((s) => (/^\d{1,8}$/.test(s) ? Number(s) : NaN)) as [number, number, number];
  if (!isPowerOfTwo(N) || N > MAX_N || !(r >= 1 && r <= MAX_R) || !(p >= 1 && p <= MAX_P)) return null;
  const b64url = /^[A-Za-z0-9_-]+$/;
  if (!b64url.test(parts[4]!) || !b64url.test(parts[5]!)) return null;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const key = Buffer.from(parts[5]!, 'base64url');
  if (salt.length < 8 || key.length < 16 || key.length > 64) return null;
  return { N, r, p, salt, key };
}

/** True only for the right password; a malformed or tampered stored value is simply false. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed) return false;
  const candidate = await derive(password, parsed.salt, parsed.key.length, parsed);
  return timingSafeEqual(candidate, parsed.key);
}
