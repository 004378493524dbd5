import { createHmac, generateKeyPairSync } from 'node:crypto';
import { SignJWT, UnsecuredJWT } from 'jose';
import { z } from 'zod';
import {
  AuthError,
  ConfigError,
  IDENTITY_HEADER,
  IDENTITY_SIGNATURE_HEADER,
  authEnv,
  createJwtService,
  hashPassword,
  identityEnv,
  loadConfig,
  serviceEnv,
  signIdentity,
  verifyIdentity,
  verifyPassword,
  withSecrets,
  type AuthConfig,
} from '../src';

describe('password hashing', () => {
  it('encodes scrypt parameters, salt and hash, and verifies only the right password', async () => {
    const stored = await hashPassword('correct horse battery staple');
    expect(stored).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    await expect(verifyPassword('correct horse battery staple', stored)).resolves.toBe(true);
    await expect(verifyPassword('correct horse battery stapler', stored)).resolves.toBe(false);
    await expect(verifyPassword('', stored)).resolves.toBe(false);
  });

  it('salts every hash', async () => {
    const [a, b] = await Promise.all([hashPassword('same'), hashPassword('same')]);
    expect(a).not.toBe(b);
    await expect(verifyPassword('same', b)).resolves.toBe(true);
  });

  it('treats a tampered or malformed stored hash as a mismatch', async () => {
    const stored = await hashPassword('secret');
    const parts = stored.split('$');
    const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    const tampered = [
      [...parts.slice(0, 5), flip(parts[5]!)].join('$'), // hash
      [...parts.slice(0, 4), flip(parts[4]!), parts[5]].join('$'), // salt
      ['scrypt', '8192', ...parts.slice(2)].join('$'), // cost parameter
      ['scrypt', '12345', ...parts.slice(2)].join('$'), // not a power of two
      ['scrypt', String(2 ** 24), ...parts.slice(2)].join('$'), // beyond the memory bound
      parts.slice(0, 5).join('$'),
      'plaintext',
      '',
    ];
    for (const value of tampered) await expect(verifyPassword('secret', value)).resolves.toBe(false);
  });

  it('takes configurable parameters and still verifies from the encoded string alone', async () => {
    const stored = await hashPassword('pw', { N: 1024, r: 4, p: 2 });
    expect(stored.split('$').slice(1, 4)).toEqual(['1024', '4', '2']);
    await expect(verifyPassword('pw', stored)).resolves.toBe(true);
    await expect(verifyPassword('pw2', stored)).resolves.toBe(false);
    await expect(hashPassword('pw', { N: 1000 })).rejects.toThrow(RangeError);
  });

  it('normalizes Unicode so composed and decomposed input match', async () => {
    const stored = await hashPassword('caf\u00e9', { N: 1024 });
    await expect(verifyPassword('cafe\u0301', stored)).resolves.toBe(true);
  });
});

const hsConfig = (overrides: Partial<AuthConfig> = {}): AuthConfig => ({
  JWT_ALGORITHM: 'HS256',
  JWT_SECRET: 'test-secret-test-secret-test-secret-42',
  JWT_PRIVATE_KEY: undefined,
  JWT_PUBLIC_KEY: undefined,
  JWT_ISSUER: 'chat4all',
  JWT_AUDIENCE: 'chat4all',
  JWT_TTL_SECONDS: 3600,
  ...overrides,
});

function pemPair(type: 'rsa' | 'ec' | 'ed25519') {
  const options = type === 'rsa' ? { modulusLength: 2048 } : type === 'ec' ? { namedCurve: 'P-256' } : {};
  const { privateKey, publicKey } = generateKeyPairSync(type as 'rsa', options as { modulusLength: number });
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

async function expectAuthError(promise: Promise<unknown>, message: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuthError);
  expect((error as Error).message).toMatch(message);
}

describe('JWT service', () => {
  const secret = new TextEncoder().encode(hsConfig().JWT_SECRET);
  const now = () => Math.floor(Date.now() / 1000);

  it('issues a token that verifies back to the user', async () => {
    const jwt = createJwtService(hsConfig());
    const token = await jwt.issue('user-1', 'alice');
    await expect(jwt.verify(token)).resolves.toEqual({ userId: 'user-1', username: 'alice' });
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(payload).toMatchObject({ sub: 'user-1', username: 'alice', iss: 'chat4all', aud: 'chat4all' });
    expect(payload.exp).toBe((payload.iat as number) + 3600);
  });

  it('rejects an expired token', async () => {
    const token = await new SignJWT({ username: 'alice' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('user-1')
      .setIssuer('chat4all')
      .setAudience('chat4all')
      .setIssuedAt(now() - 120)
      .setExpirationTime(now() - 60)
      .sign(secret);
    await expectAuthError(createJwtService(hsConfig()).verify(token), /expired/);
  });

  it('rejects a token signed with another key', async () => {
    const other = createJwtService(hsConfig({ JWT_SECRET: 'another-secret-another-secret-another' }));
    await expectAuthError(createJwtService(hsConfig()).verify(await other.issue('user-1', 'alice')), /signature/);
  });

  it('rejects a token from another issuer or for another audience', async () => {
    const jwt = createJwtService(hsConfig());
    const foreignIssuer = await createJwtService(hsConfig({ JWT_ISSUER: 'someone-else' })).issue('user-1', 'alice');
    await expectAuthError(jwt.verify(foreignIssuer), /iss/);
    const foreignAudience = await createJwtService(hsConfig({ JWT_AUDIENCE: 'other-app' })).issue('user-1', 'alice');
    await expectAuthError(jwt.verify(foreignAudience), /aud/);
  });

  it('rejects tokens without a subject or username, and garbage', async () => {
    const jwt = createJwtService(hsConfig());
    const base = () => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer('chat4all').setAudience('chat4all').setIssuedAt().setExpirationTime('1h');
    await expectAuthError(jwt.verify(await base().sign(secret)), /sub/);
    await expectAuthError(jwt.verify(await base().setSubject('user-1').sign(secret)), /username/);
    await expectAuthError(jwt.verify('not.a.token'), /malformed/);
  });

  it('rejects an unsigned (alg none) token', async () => {
    const token = new UnsecuredJWT({ username: 'alice' }).setSubject('user-1').setIssuer('chat4all').setAudience('chat4all').setIssuedAt().setExpirationTime('1h').encode();
    await expectAuthError(createJwtService(hsConfig()).verify(token), /rejected/);
  });

  it.each(['RS256', 'ES256', 'EdDSA'] as const)('signs with the %s private key and verifies with only the public key', async (alg) => {
    const { privatePem, publicPem } = pemPair(alg === 'RS256' ? 'rsa' : alg === 'ES256' ? 'ec' : 'ed25519');
    const issuer = createJwtService(hsConfig({ JWT_ALGORITHM: alg, JWT_PRIVATE_KEY: privatePem, JWT_PUBLIC_KEY: publicPem }));
    const verifier = createJwtService(hsConfig({ JWT_ALGORITHM: alg, JWT_PUBLIC_KEY: publicPem }));
    const token = await issuer.issue('user-2', 'bob');
    expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString())).toMatchObject({ alg });
    await expect(verifier.verify(token)).resolves.toEqual({ userId: 'user-2', username: 'bob' });
    await expect(verifier.issue('user-2', 'bob')).rejects.toThrow(ConfigError);
    const stranger = pemPair(alg === 'RS256' ? 'rsa' : alg === 'ES256' ? 'ec' : 'ed25519');
    const forger = createJwtService(hsConfig({ JWT_ALGORITHM: alg, JWT_PRIVATE_KEY: stranger.privatePem, JWT_PUBLIC_KEY: stranger.publicPem }));
    await expectAuthError(verifier.verify(await forger.issue('user-2', 'bob')), /signature/);
  });

  it('rejects alg confusion: an HS256 token keyed with the RS256 public key', async () => {
    const { publicPem } = pemPair('rsa');
    const verifier = createJwtService(hsConfig({ JWT_ALGORITHM: 'RS256', JWT_PUBLIC_KEY: publicPem }));
    const forged = await new SignJWT({ username: 'mallory' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('user-1')
      .setIssuer('chat4all')
      .setAudience('chat4all')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(publicPem));
    await expectAuthError(verifier.verify(forged), /algorithm/);
  });

  it('refuses weak or missing keys at construction', () => {
    expect(() => createJwtService(hsConfig({ JWT_SECRET: 'short' }))).toThrow(ConfigError);
    expect(() => createJwtService(hsConfig({ JWT_ALGORITHM: 'RS256' }))).toThrow(/JWT_PUBLIC_KEY/);
  });

  it('reads its configuration from the environment, with secrets required in production', () => {
    const schema = withSecrets(z.object({ ...serviceEnv, ...authEnv, ...identityEnv }));
    const local = loadConfig(schema, {});
    expect(local).toMatchObject({ JWT_ALGORITHM: 'HS256', JWT_ISSUER: 'chat4all', JWT_AUDIENCE: 'chat4all', JWT_TTL_SECONDS: 3600 });
    expect(local.JWT_SECRET.length).toBeGreaterThanOrEqual(32);
    expect(local.IDENTITY_SIGNING_KEY.length).toBeGreaterThanOrEqual(32);
    expect(() => loadConfig(schema, { CHAT4ALL_PROFILE: 'production', IDENTITY_SIGNING_KEY: 'k'.repeat(32) })).toThrow(/JWT_SECRET/);
    expect(() => loadConfig(schema, { CHAT4ALL_PROFILE: 'production', JWT_SECRET: 's'.repeat(32) })).toThrow(/IDENTITY_SIGNING_KEY/);
    expect(() => loadConfig(schema, { JWT_ALGORITHM: 'none' })).toThrow(/JWT_ALGORITHM/);
    const pem = loadConfig(schema, { JWT_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----\\nabc\\n-----END PUBLIC KEY-----' });
    expect(pem.JWT_PUBLIC_KEY).toBe('-----BEGIN PUBLIC KEY-----\nabc\n-----END PUBLIC KEY-----');
  });
});

describe('gateway-signed identity', () => {
  const key = 'identity-key-identity-key-identity-key';
  const t0 = Date.UTC(2026, 10, 26, 17, 0, 0);

  it('round-trips a user and a service identity', () => {
    const headers = signIdentity({ userId: 'u1', username: 'alice' }, key, t0);
    expect(Object.keys(headers).sort()).toEqual([IDENTITY_HEADER, IDENTITY_SIGNATURE_HEADER]);
    expect(JSON.parse(Buffer.from(headers[IDENTITY_HEADER]!, 'base64url').toString())).toEqual({ userId: 'u1', username: 'alice', iat: t0 / 1000 });
    expect(verifyIdentity(headers, key, t0 + 5_000)).toEqual({ kind: 'user', userId: 'u1', username: 'alice', iat: t0 / 1000 });
    const service = signIdentity({ service: 'messages' }, key, t0);
    expect(verifyIdentity(service, key, t0)).toEqual({ kind: 'service', service: 'messages', iat: t0 / 1000 });
  });

  it('reads fetch Headers as well as node header objects', () => {
    const headers = new Headers(signIdentity({ userId: 'u1', username: 'alice' }, key, t0));
    expect(verifyIdentity(headers, key, t0)).toMatchObject({ kind: 'user', userId: 'u1' });
  });

  it('answers null when no identity is present', () => {
    expect(verifyIdentity({}, key, t0)).toBeNull();
    expect(verifyIdentity({ authorization: 'Bearer x' }, key, t0)).toBeNull();
  });

  it('rejects a forged signature, a tampered identity and an unsigned one', () => {
    const genuine = signIdentity({ userId: 'u1', username: 'alice' }, key, t0);
    const forged = signIdentity({ userId: 'u1', username: 'alice' }, 'attacker-key-attacker-key-attacker', t0);
    expect(() => verifyIdentity(forged, key, t0)).toThrow(AuthError);
    const otherUser = signIdentity({ userId: 'u2', username: 'bob' }, key, t0);
    const spliced = { [IDENTITY_HEADER]: otherUser[IDENTITY_HEADER], [IDENTITY_SIGNATURE_HEADER]: genuine[IDENTITY_SIGNATURE_HEADER] };
    expect(() => verifyIdentity(spliced, key, t0)).toThrow(/signature is invalid/);
    expect(() => verifyIdentity({ [IDENTITY_HEADER]: genuine[IDENTITY_HEADER] }, key, t0)).toThrow(/not signed/);
    expect(() => verifyIdentity({ [IDENTITY_SIGNATURE_HEADER]: genuine[IDENTITY_SIGNATURE_HEADER] }, key, t0)).toThrow(AuthError);
    expect(() => verifyIdentity({ ...genuine, [IDENTITY_SIGNATURE_HEADER]: 'short' }, key, t0)).toThrow(AuthError);
    expect(() => verifyIdentity({ ...genuine, [IDENTITY_HEADER]: [genuine[IDENTITY_HEADER]!, genuine[IDENTITY_HEADER]!] }, key, t0)).toThrow(/more than once/);
  });

  it('rejects a signed payload that is not a well-formed identity', () => {
    const payload = Buffer.from(JSON.stringify({ userId: 'u1', iat: t0 / 1000 })).toString('base64url');
    // Signed the way signIdentity signs, so only the shape check can refuse it.
    const signature = createHmac('sha256', key).update(`chat4all-identity.v1.${payload}`).digest('base64url');
    expect(() => verifyIdentity({ [IDENTITY_HEADER]: payload, [IDENTITY_SIGNATURE_HEADER]: signature }, key, t0)).toThrow(/neither a user nor a service/);
  });

  it('accepts a recent signature and rejects a stale or future one', () => {
    const headers = signIdentity({ userId: 'u1', username: 'alice' }, key, t0);
    expect(verifyIdentity(headers, key, t0 + 59_000)).not.toBeNull();
    expect(() => verifyIdentity(headers, key, t0 + 61_000)).toThrow(/expired/);
    expect(() => verifyIdentity(headers, key, t0 - 61_000)).toThrow(/expired/);
  });
});
