import { z } from 'zod';
import { ConfigError, env, loadConfig, secret, secretDefaults, serviceEnv, withSecrets, type Env } from '../src/config';

/** Runs `load` and returns the ConfigError it must throw. */
function configError(load: () => unknown): ConfigError {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError, but the configuration loaded');
}

describe('loadConfig', () => {
  const schema = z.object({
    PORT: env.port(4000),
    NAME: env.string(),
    BROKERS: env.list('127.0.0.1:9092'),
    VERBOSE: env.bool(false),
  });

  it('applies defaults and coerces types', () => {
    expect(loadConfig(schema, { NAME: 'svc', PORT: '4100', VERBOSE: '1' })).toEqual({
      PORT: 4100,
      NAME: 'svc',
      BROKERS: ['127.0.0.1:9092'],
      VERBOSE: true,
    });
  });

  it('names a missing required variable in one line', () => {
    const error = configError(() => loadConfig(schema, {}));
    expect(error.variable).toBe('NAME');
    expect(error.message).toMatch(/^invalid configuration: NAME: .*\(not set\)$/);
    expect(error.message).not.toContain('\n');
  });

  it('names a variable of the wrong type and shows what was given', () => {
    const error = configError(() => loadConfig(schema, { NAME: 'svc', PORT: 'abc' }));
    expect(error.variable).toBe('PORT');
    expect(error.message).toMatch(/^invalid configuration: PORT: .*\(got "abc"\)$/);
    expect(error.message).not.toContain('\n');
  });

  it('never shows the value of a credential it refuses, only its length', () => {
    const withSecret = z.object({ BLOB_URL_SECRET: z.string().min(32, 'at least 32 bytes'), DATABASE_URL: z.url() });
    const short = configError(() => loadConfig(withSecret, { BLOB_URL_SECRET: 'hunter2', DATABASE_URL: 'postgres://u:pw@db/x' }));
    expect(short.message).toBe('invalid configuration: BLOB_URL_SECRET: at least 32 bytes (got a value of 7 characters)');
    const url = configError(() => loadConfig(withSecret, { BLOB_URL_SECRET: 'x'.repeat(32), DATABASE_URL: 'not a url with pw' }));
    expect(url.message).not.toContain('pw');
  });

  it('rejects a port out of range', () => {
    expect(configError(() => loadConfig(schema, { NAME: 'svc', PORT: '70000' })).variable).toBe('PORT');
  });

  it('splits lists on commas, trimming blanks and dropping empty entries', () => {
    const config = loadConfig(schema, { NAME: 'svc', BROKERS: ' kafka-1:9092, kafka-2:9092,,kafka-3:9092 ' });
    expect(config.BROKERS).toEqual(['kafka-1:9092', 'kafka-2:9092', 'kafka-3:9092']);
  });

  it('rejects a list with no entries', () => {
    expect(configError(() => loadConfig(schema, { NAME: 'svc', BROKERS: ' , ' })).variable).toBe('BROKERS');
  });

  it('treats an empty string as unset', () => {
    expect(loadConfig(schema, { NAME: 'svc', PORT: '' }).PORT).toBe(4000);
    const error = configError(() => loadConfig(schema, { NAME: '' }));
    expect(error.variable).toBe('NAME');
    expect(error.message).toContain('(not set)');
  });

  it('ignores variables the schema does not declare', () => {
    const env: Env = { NAME: 'svc', UNRELATED: 'x' };
    expect(loadConfig(schema, env)).not.toHaveProperty('UNRELATED');
  });
});

describe('serviceEnv CHAT4ALL_PROFILE', () => {
  const schema = z.object({ ...serviceEnv });

  it('defaults to local', () => {
    expect(loadConfig(schema, {}).CHAT4ALL_PROFILE).toBe('local');
  });

  it('accepts only embedded, local or production', () => {
    expect(loadConfig(schema, { CHAT4ALL_PROFILE: 'embedded' }).CHAT4ALL_PROFILE).toBe('embedded');
    const error = configError(() => loadConfig(schema, { CHAT4ALL_PROFILE: 'prod' }));
    expect(error.variable).toBe('CHAT4ALL_PROFILE');
    expect(error.message).toContain('(got "prod")');
  });
});

describe('secret', () => {
  const schema = withSecrets(
    z.object({
      ...serviceEnv,
      PORT: env.port(4011),
      API_TOKEN: secret('dev-token'),
      APP_SECRET: secret('dev-app-secret'),
    }),
  );

  it.each(['embedded', 'local', undefined])('falls back to the development value when the profile is %s', (profile) => {
    const config = loadConfig(schema, { CHAT4ALL_PROFILE: profile });
    expect(config.API_TOKEN).toBe('dev-token');
    expect(config.APP_SECRET).toBe('dev-app-secret');
  });

  it('uses a value that is set, in any profile', () => {
    expect(loadConfig(schema, { API_TOKEN: 'given', APP_SECRET: 'also' }).API_TOKEN).toBe('given');
    const config = loadConfig(schema, { CHAT4ALL_PROFILE: 'production', API_TOKEN: 'prod-token', APP_SECRET: 'prod-secret' });
    expect(config).toMatchObject({ API_TOKEN: 'prod-token', APP_SECRET: 'prod-secret', PORT: 4011 });
  });

  it('fails in production when a secret is missing, naming the variable in one line', () => {
    const error = configError(() => loadConfig(schema, { CHAT4ALL_PROFILE: 'production', API_TOKEN: 'prod-token' }));
    expect(error.variable).toBe('APP_SECRET');
    expect(error.message).toMatch(/^invalid configuration: APP_SECRET: required when CHAT4ALL_PROFILE=production .*\(not set\)$/);
    expect(error.message).not.toContain('\n');
    expect(error.message).not.toContain('dev-app-secret');
  });

  it('treats an empty secret as missing in production', () => {
    const error = configError(() => loadConfig(schema, { CHAT4ALL_PROFILE: 'production', API_TOKEN: '', APP_SECRET: 'x' }));
    expect(error.variable).toBe('API_TOKEN');
  });

  it('still reports other problems first-class in production', () => {
    const error = configError(() => loadConfig(schema, { CHAT4ALL_PROFILE: 'production', PORT: 'abc' }));
    expect(error.variable).toBe('PORT');
  });

  it('lists the secret fields of a schema with their development values', () => {
    expect(secretDefaults(schema)).toEqual({ API_TOKEN: 'dev-token', APP_SECRET: 'dev-app-secret' });
  });

  it('refuses a schema with secrets but no CHAT4ALL_PROFILE', () => {
    expect(() => withSecrets(z.object({ TOKEN: secret('x') }))).toThrow(/needs CHAT4ALL_PROFILE/);
  });
});
