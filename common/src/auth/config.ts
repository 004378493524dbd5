import { z } from 'zod';
import { env, secret } from '../config';

/** Algorithms a deployment may choose; anything else (notably `none`) is never accepted. */
export const jwtAlgorithms = ['HS256', 'RS256', 'ES256', 'EdDSA'] as const;
export type JwtAlgorithm = (typeof jwtAlgorithms)[number];

// PEM keys often travel in one-line environment variables with escaped newlines.
const pem = z
  .string()
  .min(1)
  .transform((s) => s.replace(/\\n/g, '\n'))
  .optional();

/**
 * Client tokens. HS256 signs and verifies with JWT_SECRET; the asymmetric algorithms sign with
 * JWT_PRIVATE_KEY (PKCS#8 PEM, only where tokens are issued) and verify with JWT_PUBLIC_KEY (SPKI PEM).
 * Spread it into a schema wrapped in `withSecrets`.
 */
export const authEnv = {
  JWT_ALGORITHM: z.enum(jwtAlgorithms).default('HS256'),
  JWT_SECRET: secret('chat4all-dev-jwt-secret-0123456789abcdef'),
  JWT_PRIVATE_KEY: pem,
  JWT_PUBLIC_KEY: pem,
  JWT_ISSUER: env.string('chat4all'),
  JWT_AUDIENCE: env.string('chat4all'),
  JWT_TTL_SECONDS: env.int(3600, 1),
};

/** The key the gateway signs forwarded identities with; every subgraph verifies with the same key. */
export const identityEnv = {
  IDENTITY_SIGNING_KEY: secret('chat4all-dev-identity-key-0123456789abcdef'),
};

export type AuthConfig = z.infer<z.ZodObject<typeof authEnv>>;
export type IdentityConfig = z.infer<z.ZodObject<typeof identityEnv>>;
