import { ConfigError } from '@chat4all/common';
import { loadServiceConfig, publicS3Endpoint } from '../src/config';
import { DEFAULT_ALLOWED_CONTENT_TYPES } from '../src/upload/content-type';

describe('files config', () => {
  it('has defaults for the local engines', () => {
    const config = loadServiceConfig({});
    expect(config.PORT).toBe(4003);
    expect(config.MAX_UPLOAD_BYTES).toBe(2 * 1024 ** 3);
    expect(config.FILE_URL_TTL_SECONDS).toBe(900);
    expect(config.FILE_URL_REUSE_SECONDS).toBe(60);
    expect(config.FILE_URL_CACHE_ENTRIES).toBe(10_000);
    expect(config.UPLOAD_ALLOWED_CONTENT_TYPES).toEqual(DEFAULT_ALLOWED_CONTENT_TYPES);
    expect(publicS3Endpoint(config)).toBe('http://127.0.0.1:9000');
  });

  it('signs download URLs for the public endpoint when one is set', () => {
    const config = loadServiceConfig({ S3_ENDPOINT: 'http://minio:9000', S3_PUBLIC_ENDPOINT: 'https://files.example.com' });
    expect(publicS3Endpoint(config)).toBe('https://files.example.com');
  });

  it('reads the allow-list as comma-separated patterns', () => {
    const config = loadServiceConfig({ UPLOAD_ALLOWED_CONTENT_TYPES: 'image/*, application/pdf' });
    expect(config.UPLOAD_ALLOWED_CONTENT_TYPES).toEqual(['image/*', 'application/pdf']);
    expect(() => loadServiceConfig({ UPLOAD_ALLOWED_CONTENT_TYPES: 'image/*,pdf' })).toThrow(/UPLOAD_ALLOWED_CONTENT_TYPES/);
  });

  it('keeps URL lifetimes within what SigV4 allows', () => {
    expect(() => loadServiceConfig({ FILE_URL_TTL_SECONDS: '0' })).toThrow(ConfigError);
    expect(() => loadServiceConfig({ FILE_URL_TTL_SECONDS: String(8 * 24 * 3600) })).toThrow(/FILE_URL_TTL_SECONDS/);
    expect(loadServiceConfig({ FILE_URL_REUSE_SECONDS: '0' }).FILE_URL_REUSE_SECONDS).toBe(0);
    expect(() => loadServiceConfig({ FILE_URL_REUSE_SECONDS: '-1' })).toThrow(/FILE_URL_REUSE_SECONDS/);
    expect(() => loadServiceConfig({ FILE_URL_REUSE_SECONDS: '3601' })).toThrow(/FILE_URL_REUSE_SECONDS/);
  });

  it('needs the identity key and the S3 keys in production', () => {
    const production = { CHAT4ALL_PROFILE: 'production', S3_ACCESS_KEY: 'a', S3_SECRET_KEY: 'b' };
    expect(() => loadServiceConfig(production)).toThrow(/IDENTITY_SIGNING_KEY: required/);
    expect(loadServiceConfig({ ...production, IDENTITY_SIGNING_KEY: 'k'.repeat(32) }).IDENTITY_SIGNING_KEY).toBe('k'.repeat(32));
  });
});
