import type { S3Config } from '@chat4all/common';

/** What the upload load process is asked to send, and what it reports. */
export type UploadSpec =
  | { target: 'gateway'; bytes: number; graphqlUrl: string; token: string }
  | { target: 's3'; bytes: number; s3: S3Config; key: string };

export interface UploadResult {
  bytes: number;
  seconds: number;
  mibPerSecond: number;
  sha256: string;
  /** The stored file's id (gateway) or key (S3). */
  stored: string;
}
