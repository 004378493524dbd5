import { Counter, Gauge, type Registry } from 'prom-client';
import type { CircuitState } from './breaker';

const CIRCUIT_STATE_VALUE: Record<CircuitState, number> = { closed: 0, 'half-open': 1, open: 2 };

/** What a connector counts beside the worker runtime's consumer metrics (records, attempts, dead letters, lag). */
export class ConnectorMetrics {
  /** Platform calls by result: `ok`, `retriable` (failed, will be retried), `permanent` (failed, message FAILED). */
  readonly platformCalls: Counter<'channel' | 'result'>;
  /** Messages that reached the platform (`sent`) or were given up (`failed`). */
  readonly messages: Counter<'channel' | 'outcome'>;
  /** 0 closed, 1 half-open, 2 open. */
  readonly circuitState: Gauge<'channel'>;
  /** Webhook calls or events refused, by reason: unsigned, forged, malformed, too_large, replayed, stale, in_flight. */
  readonly webhookRejected: Counter<'reason'>;
  /** Status events published from webhooks, by our status. */
  readonly webhookStatuses: Counter<'channel' | 'status'>;
  /** Webhook events naming a platform message we cannot trace back to ours. */
  readonly webhookUnmatched: Counter<'channel'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.platformCalls = new Counter({ name: 'connector_platform_calls_total', help: 'Platform send calls by result', labelNames: ['channel', 'result'], registers });
    this.messages = new Counter({ name: 'connector_messages_total', help: 'Messages sent to the platform or given up', labelNames: ['channel', 'outcome'], registers });
    this.circuitState = new Gauge({ name: 'connector_circuit_state', help: 'Platform circuit: 0 closed, 1 half-open, 2 open', labelNames: ['channel'], registers });
    this.webhookRejected = new Counter({ name: 'webhook_rejected_total', help: 'Webhook calls or events refused', labelNames: ['reason'], registers });
    this.webhookStatuses = new Counter({ name: 'webhook_status_events_total', help: 'Status events published from platform webhooks', labelNames: ['channel', 'status'], registers });
    this.webhookUnmatched = new Counter({ name: 'webhook_unmatched_total', help: 'Webhook events for platform messages that are not ours', labelNames: ['channel'], registers });
  }

  setCircuitState(channel: string, state: CircuitState): void {
    this.circuitState.set({ channel }, CIRCUIT_STATE_VALUE[state]);
  }
}
