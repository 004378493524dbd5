import type http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../logging';
import type { RequestHandler } from '../../service/http';
import { BodyTooLargeError, readRawBody, sendJson } from '../http';
import { SIMULATED_ERRORS, graphError, type SimulatedPlatform, type SimulatedSend, type SimulatedStatus } from './platform';
import { between, type Random } from './random';
import { WebhookDispatcher, type WebhookCounters, type WebhookJob } from './webhooks';

export interface SimulatorOptions {
  /** The bearer token the API accepts. */
  token: string;
  /** Signs the webhooks. */
  appSecret: string;
  /** The connector's webhook endpoint. */
  webhookUrl: string;
  latencyMinMs: number;
  latencyMaxMs: number;
  /** Fraction of send calls answered 500 or 503 (nothing is sent then). */
  failureRate: number;
  /** Fraction of accepted messages whose webhook says `failed` instead of delivered + read (platforms with async failures). */
  failedStatusRate: number;
  /** Pause before the `delivered` webhook, and between `delivered` and `read`. */
  deliveredAfterMs: number;
  readAfterMs: number;
  webhookMaxAttempts: number;
  webhookRetryMaxMs: number;
  random: Random;
  log: Logger;
}

/** One platform message the simulator accepted. */
export interface SimulatedMessage {
  id: string;
  recipient: string;
  kind: string;
  metadata?: string;
  link?: string;
  /** Send calls that returned this message (more than 1: a redelivered send answered idempotently). */
  requests: number;
  /** The statuses queued as webhooks, in order. */
  statuses: SimulatedStatus[];
}

export interface SimulatorStats {
  /** Send calls by answer. */
  sends: { accepted: number; duplicate: number; injectedFailures: number; unauthorized: number; invalid: number };
  webhooks: WebhookCounters;
}

const MAX_BODY_BYTES = 1024 * 1024;
/** The simulator remembers at most this many messages (oldest forgotten first), so a long run stays bounded. */
const MAX_REMEMBERED = 100_000;
/** Test hooks beside the platform API: inspect what the "platform" received. */
export const SIMULATOR_INSPECT_PATH = '/_simulator';

/**
 * An HTTP server shaped like a Meta messaging API (`platform` supplies the shapes): bearer-token check, configurable
 * latency and failure rate, idempotency on the request's metadata (same metadata → same message id, no second
 * webhook series), then signed status webhooks per recipient in send order: delivered, then read (or failed).
 */
export class PlatformSimulator {
  readonly dispatcher: WebhookDispatcher;
  private readonly messages = new Map<string, SimulatedMessage>(); // by platform message id
  private readonly byMetadata = new Map<string, string>(); // idempotency: metadata → platform message id
  private readonly sendStats = { accepted: 0, duplicate: 0, injectedFailures: 0, unauthorized: 0, invalid: 0 };
  private readonly sendPath: string;

  constructor(
    private readonly platform: SimulatedPlatform,
    private readonly options: SimulatorOptions,
  ) {
    if (options.failedStatusRate > 0 && !platform.asyncFailures) {
      throw new Error(`${platform.name} reports no failures by webhook; set the failed-status rate to 0`);
    }
    this.sendPath = `/${platform.apiVersion}/${platform.accountId}/messages`;
    this.dispatcher = new WebhookDispatcher({
      url: options.webhookUrl,
      appSecret: options.appSecret,
      maxAttempts: options.webhookMaxAttempts,
      retryMaxMs: options.webhookRetryMaxMs,
      log: options.log,
    });
  }

  stats(): SimulatorStats {
    return { sends: { ...this.sendStats }, webhooks: { ...this.dispatcher.counters } };
  }

  list(): SimulatedMessage[] {
    return [...this.messages.values()].map((m) => ({ ...m, statuses: [...m.statuses] }));
  }

  readonly handler: RequestHandler = (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method === 'GET' && path === `${SIMULATOR_INSPECT_PATH}/stats`) return sendJson(res, 200, this.stats());
    if (req.method === 'GET' && path === `${SIMULATOR_INSPECT_PATH}/messages`) return sendJson(res, 200, { messages: this.list() });
    if (req.method === 'POST' && path === this.sendPath) {
      this.send(req).then(
        ({ status, body }) => sendJson(res, status, body),
        (error: unknown) => {
          this.options.log.error({ err: error }, 'simulator failed');
          sendJson(res, 500, this.error(500));
        },
      );
      return;
    }
    sendJson(res, 404, this.error(404));
  };

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  private error(status: keyof typeof SIMULATED_ERRORS, detail?: string): unknown {
    const known = SIMULATED_ERRORS[status];
    const body = graphError(known.message, known.code, 'OAuthException', this.options.random);
    if (detail !== undefined) body.error.error_data = { messaging_product: this.platform.name, details: detail };
    return body;
  }

  private async send(req: http.IncomingMessage): Promise<{ status: number; body: unknown }> {
    const { options, platform } = this;
    if (req.headers.authorization !== `Bearer ${options.token}`) {
      req.resume();
      this.sendStats.unauthorized += 1;
      return { status: 401, body: this.error(401) };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse((await readRawBody(req, MAX_BODY_BYTES)).toString('utf8'));
    } catch (error) {
      this.sendStats.invalid += 1;
      return { status: 400, body: this.error(400, error instanceof BodyTooLargeError ? error.message : 'body is not JSON') };
    }
    await sleep(between(options.random, options.latencyMinMs, options.latencyMaxMs));
    const send = platform.parseSend(parsed);
    if ('invalid' in send) {
      this.sendStats.invalid += 1;
      return { status: 400, body: this.error(400, send.invalid) };
    }
    if (options.random() < options.failureRate) {
      this.sendStats.injectedFailures += 1;
      const status = options.random() < 0.5 ? 500 : 503;
      return { status, body: this.error(status) };
    }
    const known = send.metadata === undefined ? undefined : this.byMetadata.get(send.metadata);
    const existing = known === undefined ? undefined : this.messages.get(known);
    if (existing) {
      existing.requests += 1;
      this.sendStats.duplicate += 1;
      return { status: 200, body: platform.sendAnswer(existing.id, send) };
    }
    const message = this.accept(send);
    return { status: 200, body: platform.sendAnswer(message.id, send) };
  }

  private accept(send: SimulatedSend): SimulatedMessage {
    const { options, platform } = this;
    const id = platform.newMessageId(options.random);
    const fails = platform.asyncFailures && options.random() < options.failedStatusRate;
    const statuses: SimulatedStatus[] = fails ? ['failed'] : ['delivered', 'read'];
    const message: SimulatedMessage = { id, recipient: send.recipient, kind: send.kind, requests: 1, statuses };
    if (send.link !== undefined) message.link = send.link;
    if (send.metadata !== undefined) {
      message.metadata = send.metadata;
      this.byMetadata.set(send.metadata, id);
    }
    this.remember(message);
    this.sendStats.accepted += 1;
    const jobs: WebhookJob[] = statuses.map((status, index) => ({
      delayMs: index === 0 ? options.deliveredAfterMs : options.readAfterMs,
      body: () =>
        platform.statusWebhook({
          platformMessageId: id,
          send,
          status,
          at: new Date(),
          ...(status === 'failed' ? { error: { code: 131026, title: 'Message undeliverable', details: 'The recipient cannot receive this message (simulated).' } } : {}),
        }),
    }));
    this.dispatcher.enqueue(send.recipient, jobs);
    return message;
  }

  private remember(message: SimulatedMessage): void {
    this.messages.set(message.id, message);
    if (this.messages.size <= MAX_REMEMBERED) return;
    const oldest = this.messages.values().next().value;
    if (oldest === undefined) return;
    this.messages.delete(oldest.id);
    if (oldest.metadata !== undefined) this.byMetadata.delete(oldest.metadata);
  }
}
