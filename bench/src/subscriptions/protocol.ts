/** The subscriber process and its parent talk over Node's IPC channel with these messages. */

export interface SubscribersSpec {
  wsUrl: string;
  token: string;
  conversationId: string;
  count: number;
  /** Sockets opened at once while connecting. */
  connectConcurrency: number;
  /** Headers of each socket's upgrade request (Hive Gateway's caller, see hive.config.ts). */
  headers?: Record<string, string>;
  /**
   * The sender's displayName a federated answer must carry (fetched from the users subgraph); an event without it
   * counts as an error. Unset for the references that answer from the event alone.
   */
  expectDisplayName?: string;
}

/** The upgrade request's header naming the caller to Hive Gateway, as JSON `{ userId, username }` (hive.config.ts). */
export const CALLER_HEADER = 'x-bench-caller';

/** Parent → subscribers. */
/**
 * `reset.at`: epoch ms when the parent reset; events created before it belong to an earlier phase (or a probe).
 * The subscribers answer `reset` once their counts are zero, and the parent publishes only after that answer:
 * otherwise a phase's first events could arrive on the sockets before the reset on the IPC channel, be counted,
 * then zeroed by it.
 */
export type Command = { type: 'reset'; at: number } | { type: 'report' } | { type: 'close' };

export interface DeliveryReport {
  /** Events received since the last reset, over all subscribers (those created after it). */
  deliveries: number;
  /**
   * Events that arrived after the last reset but were created before it: an earlier phase's (or probe's) last
   * deliveries, still on their way. Not in `deliveries`, not in the latency.
   */
  fromEarlier: number;
  /** Subscribers that received at least one event since the last reset. */
  reached: number;
  /** ms from the message's createdAt (set just before it was published) to its arrival. */
  latencyMs: { p50: number; p99: number; max: number };
  /** First and last arrival since the reset (epoch ms), 0 when none. */
  firstAt: number;
  lastAt: number;
  errors: number;
  /** What the first of those errors was. */
  firstError?: string;
  /** Sockets the server closed, by close code. */
  closed: Record<string, number>;
}

/** Subscribers → parent. */
export type Reply = { type: 'ready'; subscribed: number; failed: number; firstError?: string } | { type: 'reset' } | ({ type: 'report' } & DeliveryReport);

/** What each subscriber asks for: the event's message with fields from all three subgraphs' owners. */
export const SUBSCRIPTION = `subscription ($id: ID!) {
  messageStatusChanged(conversationId: $id) {
    previousStatus cursor
    message { id status createdAt content sender { displayName } conversation { title } }
  }
}`;

/**
 * The answer to SUBSCRIPTION built from an event alone, as the reference servers give it (bare-server.ts, floor-server.ts):
 * the same fields and shape our gateway resolves across the subgraphs. With `keys`, the sender and conversation also
 * carry their ids, which a gateway asks the subscription's subgraph for (Hive, to fetch the sender's other fields).
 */
export function eventAnswer(event: {
  messageId: string;
  createdAt: string;
  content: string | null;
  cursor: string;
  keys?: { senderId: string; conversationId: string };
}): { messageStatusChanged: unknown } {
  const sender = { displayName: 'bench', ...(event.keys && { id: event.keys.senderId }) };
  const conversation = { title: 'bench', ...(event.keys && { id: event.keys.conversationId }) };
  return {
    messageStatusChanged: {
      previousStatus: null,
      cursor: event.cursor,
      message: { id: event.messageId, status: 'SENT', createdAt: event.createdAt, content: event.content, sender, conversation },
    },
  };
}
