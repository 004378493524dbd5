import { SignJWT, errors, importPKCS8, importSPKI, jwtVerify, type CryptoKey } from 'jose';
import { ConfigError } from '../config';
import type { AuthConfig } from './config';
import { AuthError } from './errors';

export interface TokenClaims {
  userId: string;
  username: string;
}

export interface JwtService {
  /** A signed token for this user, valid for JWT_TTL_SECONDS. */
  issue(userId: string, username: string): Promise<string>;
  /** The claims of a valid token; throws AuthError for anything else (bad signature, expired, wrong issuer/audience/algorithm). */
  verify(token: string): Promise<TokenClaims>;
}

type Key = CryptoKey | Uint8Array;

// Below 256 bits an HMAC secret is guessable offline from any token.
const MIN_SECRET_BYTES = 32;

function keysFor(config: AuthConfig): { signing: () => Promise<Key>; verifying: () => Promise<Key> } {
  const alg = config.JWT_ALGORITHM;
  if (alg === 'HS256') {
    const secret = new TextEncoder().encode(config.JWT_SECRET);
    if (secret.length < MIN_SECRET_BYTES) throw new ConfigError('JWT_SECRET', `must be at least ${MIN_SECRET_BYTES} bytes for HS256`);
    return { signing: async () => secret, verifying: async () => secret };
  }
  const { JWT_PRIVATE_KEY: privatePem, JWT_PUBLIC_KEY: publicPem } = config;
  if (!publicPem) throw new ConfigError('JWT_PUBLIC_KEY', `required for ${alg} (SPKI PEM)`);
  // Imported once, on first use; a service that only verifies never needs the private key.
  let signing: Promise<Key> | undefined;
  const verifying = importSPKI(publicPem, alg).catch((error: unknown) => {
    throw new ConfigError('JWT_PUBLIC_KEY', `not a ${alg} SPKI PEM key (${error instanceof Error ? error.message : String(error)})`);
  });
  // Avoid an unhandled rejection before the first verify; callers still see the error.
  verifying.catch(() => undefined);
  return {
    signing: () => {
      if (!privatePem) return Promise.reject(new ConfigError('JWT_PRIVATE_KEY', `required to issue ${alg} tokens (PKCS#8 PEM)`));
      signing ??= importPKCS8(privatePem, alg);
      return signing;
    },
    verifying: () => verifying,
  };
}

function reasonFor(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'token expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `token rejected: ${error.claim} claim invalid`;
  if (error instanceof errors.JOSEAlgNotAllowed) return 'token rejected: algorithm not allowed';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'token rejected: bad signature';
  return 'token rejected: malformed';
}

export function createJwtService(config: AuthConfig): JwtService {
  const alg = config.JWT_ALGORITHM;
  const keys = keysFor(config);
  return {
    async issue(userId, username) {
      return new SignJWT({ username })
        .setProtectedHeader({ alg, typ: 'JWT' })
        .setSubject(userId)
        .setIssuer(config.JWT_ISSUER)
        .setAudience(config.JWT_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(`${config.JWT_TTL_SECONDS}s`)
        .sign(await keys.signing());
    },
    async verify(token) {
      const key = await keys.verifying();
      try {
        // Pinning the one configured algorithm defeats alg confusion (HS256 signed with the public key, or `none`).
        const { payload } = await jwtVerify(token, key, {
          algorithms: [alg],
          issuer: config.JWT_ISSUER,
          audience: config.JWT_AUDIENCE,
          requiredClaims: ['sub', 'exp', 'iat'],
        });
        if (typeof payload.sub !== 'string' || payload.sub === '' || typeof payload.username !== 'string' || payload.username === '') {
          throw new AuthError('token rejected: missing subject or username');
        }
        return { userId: payload.sub, username: payload.username };
      } catch (error) {
        if (error instanceof AuthError) throw error;
        throw new AuthError(reasonFor(error), { cause: error });
      }
    },
  };
}
