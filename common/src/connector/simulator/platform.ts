import type { GraphErrorBody } from '../meta';
import type { Random } from './random';

/** A send request the simulated API accepted, in platform-neutral terms. */
export interface SimulatedSend {
  /** Whom the message goes to (`to`, `recipient.id`): webhooks for one recipient are posted in send order. */
  recipient: string;
  /** The request's metadata field; the simulator's idempotency key when present. */
  metadata?: string;
  /** `text`, `image`, `document`, `file`, …: what was sent, for the simulator's record. */
  kind: string;
  /** A media message's file URL (the platform downloads it from there). */
  link?: string;
}

export type SimulatedStatus = 'delivered' | 'read' | 'failed';

export interface StatusEvent {
  platformMessageId: string;
  send: SimulatedSend;
  status: SimulatedStatus;
  at: Date;
  /** For `failed`: the platform's error. */
  error?: { code: number; title: string; details: string };
}

/**
 * What makes a simulator WhatsApp or Instagram: its request, answer, error and webhook shapes. Everything else
 * (auth, latency, failure injection, idempotency, ordered signed webhooks with retries) is the shared server's.
 */
export interface SimulatedPlatform {
  /** e.g. `whatsapp`. */
  name: string;
  apiVersion: string;
  /** The id in the send path: `POST /{apiVersion}/{accountId}/messages`. */
  accountId: string;
  /** Whether the platform reports failures asynchronously by webhook (WhatsApp does; Instagram's Send API does not). */
  asyncFailures: boolean;
  /** The accepted send, or why the request is invalid (answered 400 with the platform's error shape). */
  parseSend(body: unknown): SimulatedSend | { invalid: string };
  newMessageId(random: Random): string;
  sendAnswer(platformMessageId: string, send: SimulatedSend): unknown;
  /** The webhook body reporting one status of one message. */
  statusWebhook(event: StatusEvent): unknown;
}

/** Meta's Graph API error JSON (both simulated platforms use it). */
export function graphError(message: string, code: number, type = 'OAuthException', random?: Random): GraphErrorBody {
  const trace = random ? Math.floor(random() * 1e12).toString(36) : 'simulated';
  return { error: { message, type, code, fbtrace_id: `A${trace}` } };
}

/** Errors the simulator answers with, by HTTP status, in the platforms' words. */
export const SIMULATED_ERRORS = {
  401: { message: 'Invalid OAuth access token - Cannot parse access token', code: 190 },
  400: { message: 'Invalid parameter', code: 100 },
  404: { message: 'Unsupported post request.', code: 100 },
  500: { message: 'An unknown error has occurred.', code: 1 },
  503: { message: 'Service temporarily unavailable', code: 2 },
} as const;
