import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import type { Logger } from '../../logging';
import { SIGNATURE_HEADER, signBody } from '../signature';

export interface WebhookDispatcherOptions {
  /** Where webhooks go: the connector's `POST /webhook`. */
  url: string;
  /** Signs each body (HMAC-SHA256 of the raw bytes, `X-Hub-Signature-256: sha256=<hex>`). */
  appSecret: string;
  /** Deliveries of one webhook before it is dropped; an answer >= 500 or no answer is retried. */
  maxAttempts: number;
  /** Ceiling of the doubling pause between deliveries of one webhook. */
  retryMaxMs: number;
  timeoutMs?: number;
  log: Logger;
}

export interface WebhookJob {
  /** Pause before posting (counted from when the previous job for the recipient finished). */
  delayMs: number;
  /** Built when due, so the body's timestamp is when it was first posted; redeliveries send the same bytes. */
  body: () => unknown;
}

export interface WebhookCounters {
  /** Answered 2xx. */
  delivered: number;
  /** Answered 4xx: final, not retried. */
  refused: number;
  /** Every attempt failed. */
  dropped: number;
  /** Deliveries that failed and were retried. */
  retries: number;
  /** Jobs queued and not finished yet. */
  pending: number;
}

/**
 * Posts signed webhooks, one queue per recipient, so one recipient's webhooks arrive in the order their messages
 * were sent and each message's statuses in order (delivered before read), however often the receiver asks for a
 * redelivery (the queue waits for the head). Different recipients proceed independently.
 */
export class WebhookDispatcher {
  readonly counters: WebhookCounters = { delivered: 0, refused: 0, dropped: 0, retries: 0, pending: 0 };
  private readonly queues = new Map<string, Promise<void>>();
  private readonly closing = new AbortController();

  constructor(private readonly options: WebhookDispatcherOptions) {}

  enqueue(recipient: string, jobs: readonly WebhookJob[]): void {
    this.counters.pending += jobs.length;
    const previous = this.queues.get(recipient) ?? Promise.resolve();
    const next = previous.then(async () => {
      for (const job of jobs) {
        try {
          await this.run(job);
        } finally {
          this.counters.pending -= 1;
        }
      }
    });
    this.queues.set(recipient, next);
    void next.finally(() => {
      if (this.queues.get(recipient) === next) this.queues.delete(recipient);
    });
  }

  /** Resolves when every queued webhook has been delivered, refused or dropped. */
  async idle(): Promise<void> {
    while (this.queues.size > 0) await Promise.allSettled([...this.queues.values()]);
  }

  /** Stops waiting and retrying; queued webhooks are abandoned. */
  async close(): Promise<void> {
    this.closing.abort();
    await this.idle();
  }

  private async run(job: WebhookJob): Promise<void> {
    const { signal } = this.closing;
    if (signal.aborted) return;
    try {
      await sleep(job.delayMs, undefined, { signal });
    } catch {
      return;
    }
    const raw = JSON.stringify(job.body());
    const signature = signBody(this.options.appSecret, raw);
    let pauseMs = 50;
    for (let attempt = 1; attempt <= this.options.maxAttempts; attempt++) {
      if (signal.aborted) return;
      const status = await this.post(raw, signature);
      if (status !== undefined && status < 300) {
        this.counters.delivered += 1;
        return;
      }
      if (status !== undefined && status < 500) {
        this.counters.refused += 1;
        this.options.log.warn({ status, attempt }, 'webhook refused by the receiver');
        return;
      }
      if (attempt === this.options.maxAttempts) break;
      this.counters.retries += 1;
      try {
        await sleep(pauseMs, undefined, { signal });
      } catch {
        return;
      }
      pauseMs = Math.min(pauseMs * 2, this.options.retryMaxMs);
    }
    this.counters.dropped += 1;
    this.options.log.error({ attempts: this.options.maxAttempts }, 'webhook dropped after every delivery failed');
  }

  /** The receiver's HTTP status, or undefined when it did not answer. */
  private async post(raw: string, signature: string): Promise<number | undefined> {
    try {
      // undici's request, not fetch(): per webhook, fetch's Request/Response/AbortSignal objects cost more than the
      // delivery itself. Closing aborts what is in flight.
      const timeoutMs = this.options.timeoutMs ?? 5_000;
      const response = await request(this.options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature },
        body: raw,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: this.closing.signal,
      });
      await response.body.dump().catch(() => undefined);
      return response.statusCode;
    } catch {
      return undefined;
    }
  }
}
