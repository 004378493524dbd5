import http from 'node:http';
import { MessageType } from 'graphql-ws';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { nextMessage, nextPrefix } from '../../../gateway/src/subscriptions/frames';
import { eventAnswer } from './protocol';

/**
 * The fan-out floor: how soon one Node thread can put one event on N graphql-ws sockets of this machine, with no
 * Kafka, no store, no resolution and no per-subscriber work beyond the write. A minimal graphql-transport-ws server
 * (ack, subscribe, ping, complete, nothing checked): each `POST /event` serializes one `next` payload, its createdAt
 * now, and writes it behind each subscription's id with the gateway's own framing (frames.ts), then answers 204.
 * Subscribers' latency against it is what the sockets and the subscribers' own process cost: the least any server
 * on this machine can show for a burst to N sockets. Run as its own process: PORT.
 */

/** Each socket's subscriptions: id → the bytes before the payload in its `next` messages. */
const subscriptions = new Map<WebSocket, Map<string, Buffer>>();
let events = 0;

type ClientMessage = { type?: unknown; id?: unknown };
const ACK = JSON.stringify({ type: MessageType.ConnectionAck });
const PONG = JSON.stringify({ type: MessageType.Pong });

function onMessage(socket: WebSocket, data: RawData): void {
  let message: ClientMessage;
  try {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    message = JSON.parse(bytes.toString('utf8')) as ClientMessage;
  } catch {
    socket.close(4400, 'not JSON');
    return;
  }
  const own = subscriptions.get(socket);
  if (message.type === MessageType.ConnectionInit) socket.send(ACK);
  else if (message.type === MessageType.Ping) socket.send(PONG);
  else if (message.type === MessageType.Subscribe && typeof message.id === 'string') own?.set(message.id, nextPrefix(message.id));
  else if (message.type === MessageType.Complete && typeof message.id === 'string') own?.delete(message.id);
}

/** One event to every subscription: the payload the benchmark's selection asks for, serialized once. */
function publish(): number {
  const n = ++events;
  const payload = Buffer.from(
    JSON.stringify({ data: eventAnswer({ messageId: `floor-${n}`, createdAt: new Date().toISOString(), content: 'subscription benchmark event', cursor: String(n) }) }),
  );
  let written = 0;
  for (const [socket, own] of subscriptions) {
    if (socket.readyState !== socket.OPEN) continue;
    for (const prefix of own.values()) {
      socket.send(nextMessage(prefix, payload), { binary: false });
      written++;
    }
  }
  return written;
}

function main(): void {
  const port = Number(process.env.PORT);
  const server = http.createServer((request, response) => {
    if (request.method === 'POST' && request.url === '/event') {
      const written = publish();
      response.writeHead(204, { 'x-written': String(written) }).end();
      return;
    }
    response.writeHead(404).end();
  });
  const wss = new WebSocketServer({ server, path: '/graphql' });
  wss.on('connection', (socket) => {
    subscriptions.set(socket, new Map());
    socket.on('message', (data) => onMessage(socket, data));
    socket.on('close', () => subscriptions.delete(socket));
  });
  server.listen(port, '127.0.0.1', () => console.log(JSON.stringify({ msg: 'fan-out floor server ready', port })));
  const stop = () => {
    wss.close();
    server.close();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main();
