/**
 * A platform call that failed. `retriable` says whether the same request may succeed later (network errors, timeouts,
 * 429, 5xx, and 401/403, which mean our credentials or the platform are wrong, not the message). A non-retriable error
 * (any other 4xx: bad recipient, unsupported media) fails the message at once.
 */
export class PlatformError extends Error {
  constructor(
    message: string,
    readonly retriable: boolean,
    readonly httpStatus?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PlatformError';
  }
}

/** Whether an HTTP status from a platform is worth retrying. */
export function isRetriableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429 || status === 401 || status === 403;
}

export type WebhookRejection = 'unsigned' | 'forged' | 'malformed';

/** A webhook call the connector refuses before reading its events. */
export class WebhookRejectedError extends Error {
  constructor(
    readonly reason: WebhookRejection,
    detail: string,
  ) {
    super(`webhook rejected (${reason}): ${detail}`);
    this.name = 'WebhookRejectedError';
  }
}

/** The platform's circuit is open: the message waits (is retried later by the bus), nothing is failed. */
export class CircuitOpenError extends Error {
  constructor(
    readonly platform: string,
    readonly retryInMs: number,
  ) {
    super(`circuit for ${platform} is open; retrying in about ${retryInMs} ms`);
    this.name = 'CircuitOpenError';
  }
}
