import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { buildSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { Kafka, logLevel } from 'kafkajs';
import { WebSocketServer } from 'ws';
import { MessageAccepted, decodeEvent } from '@chat4all/common';
import { eventAnswer } from './protocol';

/**
 * The subscriptions reference: a bare graphql-ws server (graphql-ws + ws, no gateway, no federation, no auth) fed by
 * its own Kafka consumer of the benchmark's MessageAccepted events (publisher.ts), answering its subscription from the event alone. Each
 * subscriber's event is executed and serialised for its socket, as a plain subgraph's graphql-ws server does. What
 * it reaches is the fan-out ceiling of this machine for that payload. It is also Hive Gateway's stand-in for the messages
 * subgraph's subscriptions (hive.config.ts), which is why its answers carry the sender's and conversation's ids. Run as
 * its own process: PORT, KAFKA_BROKERS, BENCH_ACCEPTED_TOPIC (where the publisher puts them).
 */

const SDL = `
  type Query { ok: Boolean }
  type User { id: ID! displayName: String! }
  type Conversation { id: ID! title: String }
  type Message { id: ID! status: String! createdAt: String! content: String sender: User! conversation: Conversation! }
  type MessageEvent { previousStatus: String cursor: String! message: Message! }
  type Subscription { messageStatusChanged(conversationId: ID!): MessageEvent! }
`;
/** Events one subscriber may have waiting; more are dropped for it (the reference does not close slow sockets). */
const BUFFER = 1000;

type Payload = ReturnType<typeof eventAnswer>;
const listeners = new Map<string, Set<(payload: Payload) => void>>();

/** One subscriber's stream: events pushed by the consumer, pulled by graphql-ws. */
async function* stream(conversationId: string): AsyncGenerator<Payload> {
  const queue: Payload[] = [];
  let wake: (() => void) | undefined;
  const listener = (payload: Payload) => {
    if (queue.length < BUFFER) queue.push(payload);
    wake?.();
  };
  const set = listeners.get(conversationId) ?? new Set();
  set.add(listener);
  listeners.set(conversationId, set);
  try {
    for (;;) {
      while (queue.length > 0) yield queue.shift()!;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    set.delete(listener);
  }
}

async function main(): Promise<void> {
  const port = Number(process.env.PORT);
  const topic = process.env.BENCH_ACCEPTED_TOPIC;
  if (!topic) throw new Error('BENCH_ACCEPTED_TOPIC: the topic of the benchmark events to read');
  const kafka = new Kafka({ clientId: 'bench-bare', brokers: String(process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','), logLevel: logLevel.ERROR });
  const consumer = kafka.consumer({ groupId: `bench-bare-${randomUUID()}`, maxWaitTimeInMs: 50 });
  await consumer.connect();
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.subscribe({ topic, fromBeginning: false });
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (!message.value) return;
      const event = decodeEvent(MessageAccepted, message.value);
      const { messageId, createdAt, senderId, conversationId } = event;
      const payload = eventAnswer({ messageId, createdAt, content: event.content ?? null, cursor: message.offset, keys: { senderId, conversationId } });
      for (const listener of listeners.get(event.conversationId) ?? []) listener(payload);
    },
  });
  await joined;

  const server = http.createServer((_request, response) => response.writeHead(404).end());
  const wss = new WebSocketServer({ server, path: '/graphql' });
  useServer(
    {
      schema: buildSchema(SDL),
      roots: { subscription: { messageStatusChanged: ({ conversationId }: { conversationId: string }) => stream(conversationId) } },
    },
    wss,
  );
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  console.log(JSON.stringify({ msg: 'bare graphql-ws server ready', port }));
  const stop = () => {
    wss.close();
    server.close();
    void consumer.disconnect().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
